import { humSamples, silenceWav, voiceForm, wavHeader } from "./bodies.js";
import {
  type BuildContext,
  type CaseKind,
  type Category,
  type Expectation,
  request,
  routes,
  scripts,
  SLOW_DEADLINE_MS,
} from "./cases.js";

const B = "hostileAudioBoundary";

/** A voice note with a fixed body shape (voice lane, a leased user). */
function voiceNote(
  category: Category,
  kind: string,
  count: number,
  expect: Expectation,
  make: (ctx: BuildContext) => { contentType: string; body: Buffer; query?: string },
  options: { followUp?: boolean } = {},
): CaseKind {
  return {
    category,
    kind,
    count,
    lane: "voice",
    pool: "users",
    ...(options.followUp === true ? { followUp: true } : {}),
    expect,
    build(ctx) {
      const { contentType, body, query } = make(ctx);
      return request(routes.interactVoice(ctx.world, ctx.actor.conversationId, query ?? ""), {
        token: ctx.actor.token,
        contentType,
        body,
      });
    },
  };
}

const pcmConfig = (config: Record<string, unknown>) =>
  `&request_audio_config=${encodeURIComponent(JSON.stringify({ type: "pcm", ...config }))}`;

/** Undecodable, truncated, too-low-rate and silent audio; voice notes of the wrong media type. */
export function audioCases(): CaseKind[] {
  const undecodable: Expectation = { statuses: [415, 400] };
  const kinds: CaseKind[] = [];
  for (const contentType of [
    "audio/wav",
    "audio/mpeg",
    "audio/flac",
    "audio/ogg",
    "application/octet-stream",
  ]) {
    kinds.push(
      voiceNote("random-audio", `random-bytes/${contentType}`, 10, undecodable, (ctx) => ({
        contentType,
        body: ctx.rng.bytes(ctx.rng.int(1, 60_000)),
      })),
    );
  }
  kinds.push(
    voiceNote("random-audio", "random-after-riff-header", 6, undecodable, (ctx) => ({
      contentType: "audio/wav",
      body: Buffer.concat([
        Buffer.from("RIFF"),
        ctx.rng.bytes(4),
        Buffer.from("WAVE"),
        ctx.rng.bytes(ctx.rng.int(0, 20_000)),
      ]),
    })),
    voiceNote("random-audio", "random-after-flac-magic", 6, undecodable, (ctx) => ({
      contentType: "audio/flac",
      body: Buffer.concat([Buffer.from("fLaC"), ctx.rng.bytes(ctx.rng.int(0, 20_000))]),
    })),
    voiceNote("random-audio", "random-after-id3-tag", 6, undecodable, (ctx) => ({
      contentType: "audio/mpeg",
      body: Buffer.concat([
        Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x10", "latin1"),
        ctx.rng.bytes(ctx.rng.int(0, 20_000)),
      ]),
    })),
    voiceNote("random-audio", "random-multipart-audio-part", 6, undecodable, (ctx) => ({
      contentType: `multipart/form-data; boundary=${B}`,
      body: voiceForm(
        B,
        ctx.rng.bytes(ctx.rng.int(1, 20_000)),
        ctx.rng.pick(["audio/wav", "audio/mpeg", "audio/flac"]),
      ),
    })),
    // Real speech cut short: transcribed as far as it goes, or refused as undecodable or without speech.
    voiceNote("random-audio", "truncated-speech-wav", 4, { statuses: [200, 400, 415] }, (ctx) => ({
      contentType: "audio/wav",
      body: ctx.speech.wav.subarray(0, ctx.rng.int(10, ctx.speech.wav.length - 1)),
    })),
    voiceNote("random-audio", "truncated-speech-mp3", 3, { statuses: [200, 400, 415] }, (ctx) => ({
      contentType: "audio/mpeg",
      body: ctx.speech.mp3.subarray(0, ctx.rng.int(10, ctx.speech.mp3.length - 1)),
    })),
    voiceNote("random-audio", "truncated-speech-flac", 3, { statuses: [200, 400, 415] }, (ctx) => ({
      contentType: "audio/flac",
      body: ctx.speech.flac.subarray(0, ctx.rng.int(10, ctx.speech.flac.length - 1)),
    })),
    voiceNote("random-audio", "wav-header-only", 4, { statuses: [400, 415] }, () => ({
      contentType: "audio/wav",
      body: wavHeader({ sampleRateHz: 16_000, dataBytes: 0 }),
    })),
    // Sample rates below 8 kHz are refused as unsupported audio.
    voiceNote("random-audio", "wav-below-8khz", 8, { statuses: [415] }, (ctx) => {
      const sampleRateHz = ctx.rng.pick([1, 100, 1000, 4000, 7999]);
      const data = humSamples(1000, Math.max(sampleRateHz, 1));
      return {
        contentType: "audio/wav",
        body: Buffer.concat([wavHeader({ sampleRateHz, dataBytes: data.length }), data]),
      };
    }),
    // The spec's PCMUserMessageAudioConfig allows frame_rate 4000..44100 (422 below); 4000..7999 is
    // valid there but under the server's 8 kHz floor (415).
    voiceNote("random-audio", "pcm-config-below-spec-minimum", 4, { statuses: [422] }, (ctx) => {
      const frameRate = ctx.rng.pick([1, 1000, 3999]);
      return {
        contentType: "audio/pcm",
        body: humSamples(1000, frameRate),
        query: pcmConfig({ frame_rate: frameRate, n_channels: 1, sample_width: 2 }),
      };
    }),
    voiceNote("random-audio", "pcm-config-below-8khz", 6, { statuses: [415] }, (ctx) => {
      const frameRate = ctx.rng.pick([4000, 6000, 7999]);
      return {
        contentType: "audio/pcm",
        body: humSamples(1000, Math.max(frameRate, 1)),
        query: pcmConfig({ frame_rate: frameRate, n_channels: 1, sample_width: 2 }),
      };
    }),
    // Outside the spec's schema: a validation error.
    voiceNote("random-audio", "pcm-config-absurd", 6, { statuses: [422] }, (ctx) => ({
      contentType: "audio/pcm",
      body: ctx.rng.bytes(8_000),
      query: pcmConfig(
        ctx.rng.pick([
          { frame_rate: 16_000, n_channels: 0, sample_width: 2 },
          { frame_rate: 16_000, n_channels: 65_536, sample_width: 2 },
          { frame_rate: 16_000, n_channels: 1, sample_width: 7 },
          { frame_rate: -16_000, n_channels: 1, sample_width: 2 },
          { frame_rate: 2 ** 40, n_channels: 1, sample_width: 2 },
          { frame_rate: 16_000, n_channels: 1, sample_width: 0 },
        ]),
      ),
    })),
    voiceNote("random-audio", "wav-absurd-format", 8, { statuses: [415] }, (ctx) => {
      const bad = ctx.rng.pick([
        { sampleRateHz: 16_000, channels: 0 },
        { sampleRateHz: 16_000, channels: 65_535 },
        { sampleRateHz: 16_000, bitsPerSample: 0 },
        { sampleRateHz: 16_000, bitsPerSample: 13 },
        { sampleRateHz: 16_000, blockAlign: 0 },
        { sampleRateHz: 16_000, formatTag: 0x55 },
        { sampleRateHz: 0xffffffff },
        { sampleRateHz: 16_000, fmtSize: 0xfffffff0 },
      ]);
      return {
        contentType: "audio/wav",
        body: Buffer.concat([wavHeader({ dataBytes: 16_000, ...bad }), humSamples(500, 16_000)]),
      };
    }),
    // Valid audio without speech.
    voiceNote("random-audio", "silence", 4, { statuses: [400] }, (ctx) => ({
      contentType: "audio/wav",
      body: silenceWav(ctx.rng.int(200, 2_000)),
    })),
  );

  // A voice note must be audio (or a multipart form carrying audio).
  for (const [contentType, body] of [
    ["text/plain", "hello, this is not audio"],
    ["application/json", JSON.stringify({ recorded_message: "hello" })],
    ["image/png", "\x89PNG\r\n\x1a\n"],
    ["application/x-www-form-urlencoded", "recorded_message=hello"],
    ["video/mp4", "\x00\x00\x00\x18ftypmp42"],
  ] as const) {
    kinds.push(
      voiceNote("wrong-content-type", `voice/${contentType}`, 6, { statuses: [415] }, () => ({
        contentType,
        body: Buffer.from(body, "latin1"),
      })),
    );
  }

  // Too big: past PARLEY_MAX_AUDIO_BYTES (2 MB) or PARLEY_MAX_AUDIO_DURATION_MS (20 s).
  kinds.push(
    voiceNote(
      "huge-bodies",
      "voice/over-max-bytes",
      3,
      { statuses: [413] },
      // 48 kHz stereo 16-bit is 192 kB per second: 2.1 MB is 11 s, so the byte cap comes first.
      () => {
        const data = humSamples(21_900, 48_000);
        return {
          contentType: "audio/wav",
          body: Buffer.concat([
            wavHeader({ sampleRateHz: 48_000, channels: 2, dataBytes: data.length }),
            data,
          ]),
        };
      },
      { followUp: true },
    ),
    voiceNote(
      "huge-bodies",
      "voice/over-max-duration",
      4,
      { statuses: [413] },
      (ctx) => {
        const data = humSamples(ctx.rng.int(21_000, 40_000), 8_000);
        return {
          contentType: "audio/wav",
          body: Buffer.concat([wavHeader({ sampleRateHz: 8_000, dataBytes: data.length }), data]),
        };
      },
      { followUp: true },
    ),
    voiceNote("huge-bodies", "voice/pcm-over-max-duration", 2, { statuses: [413] }, () => ({
      contentType: "audio/pcm",
      body: humSamples(22_000, 8_000),
      query: pcmConfig({ frame_rate: 8_000, n_channels: 1, sample_width: 2 }),
    })),
    {
      category: "huge-bodies",
      kind: "voice/declares-50MB",
      count: 3,
      lane: "voice",
      pool: "users",
      followUp: true,
      // Refused from the declared length, or once the bytes that came stall.
      expect: { statuses: [413, 408] },
      build: (ctx) =>
        request(routes.interactVoice(ctx.world, ctx.actor.conversationId), {
          token: ctx.actor.token,
          contentType: "audio/wav",
          contentLength: 50_000_000,
          body: scripts.stallAfter(silenceWav(1_000, 8_000)),
        }),
    },
  );

  // Audio that never ends: a WAV stream with no declared end, at several times real time.
  const endless = (
    kind: string,
    count: number,
    make: (ctx: BuildContext) => { contentType: string; head: Buffer; piece: () => Buffer; query?: string },
  ): CaseKind => ({
    category: "endless-audio",
    kind,
    count,
    lane: "voice",
    pool: "users",
    followUp: true,
    expect: { statuses: [413, 408] },
    build(ctx) {
      const { contentType, head, piece, query } = make(ctx);
      return request(routes.interactVoice(ctx.world, ctx.actor.conversationId, query ?? ""), {
        token: ctx.actor.token,
        contentType,
        chunked: true,
        body: scripts.endless(head, piece, 50, true),
        deadlineMs: SLOW_DEADLINE_MS,
      });
    },
  });
  // 8 kHz 16-bit mono is 16 kB per second of audio; 400 ms of it every 50 ms is eight times real time.
  kinds.push(
    endless("wav-stream", 3, () => ({
      contentType: "audio/wav",
      head: wavHeader({ sampleRateHz: 8_000, dataBytes: 0xffffffff }),
      piece: () => humSamples(400, 8_000),
    })),
    endless("pcm-stream", 2, () => ({
      contentType: "audio/pcm",
      head: humSamples(400, 8_000),
      piece: () => humSamples(400, 8_000),
      query: pcmConfig({ frame_rate: 8_000, n_channels: 1, sample_width: 2 }),
    })),
    endless("multipart-audio-part", 2, () => ({
      contentType: `multipart/form-data; boundary=${B}`,
      head: Buffer.concat([
        Buffer.from(
          `--${B}\r\nContent-Disposition: form-data; name="recorded_message"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
        ),
        wavHeader({ sampleRateHz: 8_000, dataBytes: 0xffffffff }),
      ]),
      piece: () => humSamples(400, 8_000),
    })),
  );
  return kinds;
}
