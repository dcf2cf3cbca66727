/**
 * Text interactions per second and latency over real HTTP.
 *
 *   npx tsx bench/text-interactions.ts [--conversations 20] [--turns 20] [--store sqlite|postgres]
 *
 * It starts the server (`src/cli/serve.ts`) as a child process on a fresh database (SQLite in a temp dir, or a fresh
 * PostgreSQL database on 127.0.0.1:5432) with the demo org. Each conversation alternates answers that
 * keep it open, so every request is a full interaction (user message, agent steps, reply, commit).
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { startServerProcess } from "./server-process.js";

const { values } = parseArgs({
  options: {
    conversations: { type: "string", default: "20" },
    turns: { type: "string", default: "20" },
    store: { type: "string", default: "sqlite" },
  },
});
const conversations = Number(values.conversations);
const turns = Number(values.turns);

/** Starts `src/cli/serve.ts` in its own process, so the server and this client each have a core. */
async function makeServer() {
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (values.store === "postgres") {
    const name = `parley_bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const server = await startServerProcess(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl });
  return {
    env: server.env,
    async close() {
      await server.close();
      await dropDatabase();
    },
  };
}

async function drain(response: Response): Promise<void> {
  const text = await response.text();
  if (!text.includes("interaction-complete")) throw new Error(`interaction failed: ${text.slice(0, 300)}`);
}

async function main(): Promise<void> {
  const server = await makeServer();
  const { env } = server;
  const base = `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}`;
  const signin = await fetch(`${base}/user/signin_with_api_key`, {
    method: "POST",
    headers: {
      "x-api-key": env.AMIGO_API_KEY!,
      "x-api-key-id": env.AMIGO_API_KEY_ID!,
      "x-user-id": env.AMIGO_USER_ID!,
    },
  });
  const adminToken = ((await signin.json()) as { id_token: string }).id_token;

  // One user per conversation: a user may hold one unfinished conversation per service.
  const tokens: string[] = [];
  for (let i = 0; i < conversations; i += 1) {
    const created = await fetch(`${base}/user/`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        first_name: "Bench",
        last_name: String(i),
        email: `bench${i}@example.com`,
        role_name: "DefaultUserRole",
      }),
    });
    const { user_id } = (await created.json()) as { user_id: string };
    const s = await fetch(`${base}/user/signin_with_api_key`, {
      method: "POST",
      headers: {
        "x-api-key": env.AMIGO_API_KEY!,
        "x-api-key-id": env.AMIGO_API_KEY_ID!,
        "x-user-id": user_id,
      },
    });
    tokens.push(((await s.json()) as { id_token: string }).id_token);
  }

  const latenciesMs: number[] = [];
  // Alternating answers walk offer_time ⇄ offer_another_time and never end the conversation.
  const answers = ["I have a sore throat", "could we do another day instead", "a different day please"];
  const started = performance.now();
  await Promise.all(
    tokens.map(async (token) => {
      const headers = { authorization: `Bearer ${token}` };
      const createdAt = performance.now();
      const created = await fetch(`${base}/conversation/?response_format=text`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ service_id: env.AMIGO_SERVICE_ID }),
      });
      const text = await created.text();
      latenciesMs.push(performance.now() - createdAt);
      const conversationId = (JSON.parse(text.split("\n")[0]!) as { conversation_id: string })
        .conversation_id;
      for (let turn = 0; turn < turns; turn += 1) {
        const form = new FormData();
        form.set("initial_message_type", "user-message");
        form.set("recorded_message", answers[turn === 0 ? 0 : 1 + (turn % 2)]!);
        const t0 = performance.now();
        const response = await fetch(
          `${base}/conversation/${conversationId}/interact?request_format=text&response_format=text`,
          { method: "POST", headers, body: form },
        );
        await drain(response);
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const pct = (p: number) =>
    latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))]!;
  console.log(
    `store=${values.store} conversations=${conversations} turns=${turns} interactions=${latenciesMs.length}`,
  );
  console.log(`interactions/s: ${(latenciesMs.length / elapsedS).toFixed(1)}`);
  console.log(`latency p50: ${pct(50).toFixed(1)} ms   p95: ${pct(95).toFixed(1)} ms`);
  await server.close();
}

await main();
