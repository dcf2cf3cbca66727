import { afterAll, beforeAll } from "vitest";
import { API_SCHEMAS } from "../../src/http/api-spec/api-schemas.generated.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { type ApiCall, expectAnswer } from "./api-call.js";

/** A user's names with their preferences (`preferred_language`, `timezone`) beside them. */
export interface UserProfile {
  first_name: string;
  last_name: string;
  preferred_language?: unknown;
  timezone?: unknown;
}

/** The server a conformance file runs against, signed in as the demo administrator. */
export interface ConformanceServer {
  /** The running server (set once the suite's `beforeAll` ran). */
  readonly t: TestServer;
  /** The demo administrator's bearer token. */
  readonly token: string;
  /** A call of `operationId` at its spec path and method, as the demo administrator, in the demo organization. */
  call(operationId: string, fields?: Partial<ApiCall>): ApiCall;
  /** The demo administrator's names and preferences as `get-users` answers them (checked against the spec). */
  ownProfile(): Promise<UserProfile>;
  /** Sends `call`, expects its documented 201 (checked against the spec) and gives the new `id`. */
  createdId(call: ApiCall): Promise<string>;
}

/**
 * Starts a real server for the enclosing suite (`beforeAll`) and closes it after (`afterAll`).
 * `env` adds to the test server's settings.
 */
export function useConformanceServer(options: {
  store: "sqlite" | "postgres";
  env?: Record<string, string>;
}): ConformanceServer {
  let server: TestServer | undefined;
  let token: string | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
    token = await server.token();
  });
  afterAll(async () => server?.close());

  const started = (): TestServer => {
    if (server === undefined) throw new Error("the conformance server is not started yet");
    return server;
  };
  const conformance: ConformanceServer = {
    get t() {
      return started();
    },
    get token() {
      started();
      return token!;
    },
    call(operationId, fields = {}) {
      const operation = API_SCHEMAS.operations.find((o) => o.operationId === operationId);
      if (operation === undefined) throw new Error(`no operation ${operationId}`);
      return {
        operationId,
        method: operation.method.toUpperCase() as ApiCall["method"],
        path: operation.path,
        token: conformance.token,
        ...fields,
        params: { organization: started().orgId, ...fields.params },
      };
    },
    async createdId(call) {
      const answer = await expectAnswer(started().baseUrl, call, 201);
      return (answer.body as { id: string }).id;
    },
    async ownProfile() {
      const { baseUrl, userId } = started();
      const answer = await expectAnswer(
        baseUrl,
        conformance.call("get-users", { query: { user_id: [userId] } }),
        200,
      );
      type User = { first_name: string; last_name: string; preferences: Record<string, unknown> };
      const user = (answer.body as { users: User[] }).users[0]!;
      return { first_name: user.first_name, last_name: user.last_name, ...user.preferences };
    },
  };
  return conformance;
}
