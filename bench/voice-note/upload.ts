import http from "node:http";

/** Timings of one voice note's reply. */
export interface VoiceNoteTiming {
  /** Client side: last request byte written → first audio piece read. */
  firstAudioMs: number;
  /** The server's own `latency-report` event. */
  report: Record<string, unknown>;
}

/**
 * Uploads a WAV voice note and reads the NDJSON reply; resolves when the reply has ended (so that the
 * conversation is free again). `paced`: 100 ms chunks every 100 ms (a client streaming while the user
 * speaks); otherwise the whole file in one write (push-to-talk: recorded first, then sent).
 */
export function timedVoiceNote(
  url: string,
  token: string,
  wav: Uint8Array,
  options: { paced: boolean; accept: string },
): Promise<VoiceNoteTiming> {
  return new Promise((resolve, reject) => {
    let lastByteAt = 0;
    let firstAudioMs = 0;
    let report: Record<string, unknown> = {};
    let buffered = "";
    const request = http.request(
      url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "audio/wav",
          accept: options.accept,
          "content-length": String(wav.length),
        },
        agent: false,
      },
      (response) => {
        response.setEncoding("utf8");
        let done = false;
        response.on("data", (text: string) => {
          buffered += text;
          for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
            const event = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
            buffered = buffered.slice(newline + 1);
            if (event.type === "new-message" && !done) {
              done = true;
              firstAudioMs = performance.now() - lastByteAt;
            }
            if (event.type === "latency-report") report = event;
            if (event.type === "error") reject(new Error(JSON.stringify(event)));
          }
        });
        response.on("end", () => {
          if (!done) reject(new Error(`no audio (status ${response.statusCode}) ${buffered.slice(0, 200)}`));
          else resolve({ firstAudioMs, report });
        });
      },
    );
    request.on("error", reject);
    if (!options.paced) {
      request.end(wav, () => (lastByteAt = performance.now()));
      lastByteAt = performance.now();
      return;
    }
    const chunkBytes = 3200;
    let offset = 0;
    const tick = () => {
      request.write(wav.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
      if (offset >= wav.length) {
        request.end(() => (lastByteAt = performance.now()));
        lastByteAt = performance.now();
      } else setTimeout(tick, 100);
    };
    tick();
  });
}

/** The API calls around one voice note: a fresh conversation, the note, then finishing it. */
export class VoiceNoteClient {
  private readonly base: string;

  constructor(
    private readonly env: Record<string, string>,
    private readonly token: string,
  ) {
    this.base = `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}`;
  }

  /** One note in a conversation of its own, so every note is answered in the same dialog state. */
  async note(wav: Uint8Array, options: { paced: boolean; accept: string }): Promise<VoiceNoteTiming> {
    const created = await fetch(`${this.base}/conversation/?response_format=text`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: this.env.AMIGO_SERVICE_ID }),
    });
    const createdText = await created.text();
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${createdText}`);
    const id = (JSON.parse(createdText.split("\n")[0]!) as { conversation_id: string }).conversation_id;
    const timing = await timedVoiceNote(
      `${this.base}/conversation/${id}/interact?request_format=voice&response_format=voice&include_latency_report=true`,
      this.token,
      wav,
      options,
    );
    const finished = await fetch(`${this.base}/conversation/${id}/finish/`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}` },
    });
    // A reply that ended the conversation (a farewell) leaves nothing to finish.
    if (finished.status !== 204 && finished.status !== 409)
      throw new Error(`finish failed: ${finished.status}`);
    return timing;
  }
}

/** Signs in the demo user of a bench server. */
export async function demoUserToken(env: Record<string, string>): Promise<string> {
  const signin = await fetch(
    `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}/user/signin_with_api_key`,
    {
      method: "POST",
      headers: {
        "x-api-key": env.AMIGO_API_KEY!,
        "x-api-key-id": env.AMIGO_API_KEY_ID!,
        "x-user-id": env.AMIGO_USER_ID!,
      },
    },
  );
  if (signin.status !== 200) throw new Error(`sign-in failed: ${signin.status}`);
  return ((await signin.json()) as { id_token: string }).id_token;
}
