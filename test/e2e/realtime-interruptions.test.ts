import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http-client.js";
import { RealtimeClient, type ServerMessage } from "../helpers/realtime-client.js";
import { joinSamples } from "../helpers/reply-audio.js";
import { signedInServer, type TestServer } from "../helpers/server.js";
import { prng } from "../helpers/speakerphone.js";
import { librivoxClips, readPcm16Wav } from "../helpers/speech-corpus.js";
import { to16k } from "../../src/pipeline/speak.js";

const silence = (ms: number) => new Int16Array(16 * ms);

/** A cough: 300 ms of noise with a sharp attack and a decaying tail, as loud as speech. */
function cough(): Int16Array {
  const random = prng(3);
  const samples = new Int16Array(16 * 300);
  let low = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const envelope = Math.min(1, i / 160) * Math.exp(-i / 2400);
    low = 0.7 * low + 0.3 * (random() * 2 - 1);
    samples[i] = Math.round(12_000 * envelope * low);
  }
  return samples;
}

/** Each test plays a whole greeting in real time, with pauses; the recognizer lags on a busy machine. */
const TEST_TIMEOUT_MS = 90_000;

describe("false interruptions and backchannels in live mode", { timeout: TEST_TIMEOUT_MS }, () => {
  let t: TestServer;
  let token: string;
  let base: string;

  beforeAll(async () => {
    ({ t, token, base } = await signedInServer({
      store: "sqlite",
      env: { PARLEY_INTERACTIONS_PER_MINUTE: "1000" },
    }));
  });
  afterAll(() => t.close());

  /** Speech by Flite (another voice than the agent's), at 16 kHz. */
  async function spoken(text: string): Promise<Int16Array> {
    const parts: Int16Array[] = [];
    const chunks = t.server.engines.tts.synthesize(text, {
      signal: new AbortController().signal,
      voiceId: "flite:slt",
    });
    for await (const chunk of chunks) parts.push(await to16k(chunk.samples, chunk.sampleRateHz));
    return joinSamples(parts);
  }

  /**
   * Starts a conversation in VAD mode; half a second into the greeting's audio the user makes `sound`,
   * then the microphone stays silent until the greeting completes or is interrupted.
   */
  async function soundOverGreeting(sound: Int16Array, options: { waitForTurn?: boolean } = {}) {
    const client = await RealtimeClient.connect(t.baseUrl, t.orgId, token);
    let conversationId: string | undefined;
    try {
      client.send({ type: "client.start-conversation", service_id: t.serviceId, vad_mode: true });
      const created = await client.next("server.conversation-created");
      conversationId = created.conversation_id as string;
      await client.waitFor((m) => m.type === "server.new-message", "the greeting's audio");
      await client.stream(joinSamples([silence(500), sound]), { speed: 1 });
      let ended = false;
      const ending = client
        .waitFor(
          (m) => m.type === "server.interaction-complete" || m.type === "server.agent-interrupted",
          "the greeting's end",
          60_000,
        )
        .finally(() => (ended = true));
      while (!ended) await client.stream(silence(100), { speed: 1 });
      const end: ServerMessage = await ending;
      if (options.waitForTurn === true && end.type === "server.agent-interrupted") {
        // The microphone stays open (silent) until the VAD has ended the utterance and its turn started.
        let turnStarted = false;
        const turn = client
          .waitFor((m) => m.type === "server.user-message-available", "the user's turn", 60_000)
          .finally(() => (turnStarted = true));
        while (!turnStarted) await client.stream(silence(100), { speed: 1 });
        await turn;
      }
      // What happened, for a failing assertion's message (audio chunks and actions left out).
      const trace = client.messages
        .filter((m) => m.type !== "server.new-message" && m.type !== "server.current-agent-action")
        .map((m) => JSON.stringify(m).slice(0, 160))
        .join("\n");
      return { client, end, trace };
    } finally {
      client.close();
      await client.closed;
      if (conversationId !== undefined)
        await call(`${base}/conversation/${conversationId}/finish/`, token, { method: "POST" });
    }
  }

  it.each(["Yeah.", "Okay.", "Right.", "Uh-huh."])(
    "keeps talking over the backchannel %j, resuming after the pause it took",
    async (word) => {
      const { client, end, trace } = await soundOverGreeting(await spoken(word));
      expect(client.ofType("server.vad-speech-started").length, trace).toBeGreaterThan(0);
      expect(client.ofType("server.agent-interrupted"), trace).toEqual([]);
      expect(end.type).toBe("server.interaction-complete");
      expect(end.interrupted).toBe(false);
      // Confirmed speech over the agent paused it; the backchannel then let it resume.
      const paused = client.ofType("server.agent-paused");
      const resumed = client.ofType("server.agent-resumed");
      expect(paused.length, trace).toBeGreaterThan(0);
      expect(resumed.length, trace).toBe(paused.length);
      expect(resumed[0]!.seq).toBeGreaterThan(paused[0]!.seq);
      expect(client.ofType("server.user-message-available")).toEqual([]);
    },
  );

  it("keeps talking over a short cough", async () => {
    const { client, end, trace } = await soundOverGreeting(cough());
    expect(client.ofType("server.vad-speech-started").length, trace).toBeGreaterThan(0);
    expect(client.ofType("server.agent-interrupted"), trace).toEqual([]);
    expect(end.type).toBe("server.interaction-complete");
    expect(end.interrupted).toBe(false);
    expect(client.ofType("server.user-message-available")).toEqual([]);
  });

  it("stops for a real sentence: paused, then interrupted, and the sentence is the user's turn", async () => {
    const sentence = readPcm16Wav(librivoxClips()[1]!.wavPath).samples;
    const { client, end, trace } = await soundOverGreeting(sentence, { waitForTurn: true });
    expect(end.type, trace).toBe("server.agent-interrupted");
    // The sentence becomes the user's turn.
    const turns = client.ofType("server.user-message-available");
    expect(turns).toHaveLength(1);
    expect(turns[0]!.seq).toBeGreaterThan(end.seq);
    const paused = client.ofType("server.agent-paused");
    expect(paused.length).toBeGreaterThan(0);
    expect(paused[0]!.seq).toBeLessThan(end.seq);
    expect(client.ofType("server.agent-resumed").filter((m) => m.seq < end.seq)).toEqual([]);
  });
});
