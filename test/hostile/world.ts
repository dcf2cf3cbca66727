import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { SignJWT } from "jose";
import { seedDemo } from "../../src/store/seed-demo.js";
import { openStore, SQLITE_FILE_NAME } from "../../src/store/open-store.js";
import { ndjsonEvents } from "./raw-http.js";
import type { ServerProcess } from "./server-process.js";

/** The second organization, seeded straight into the database before the server starts. */
export const OTHER_ORG = "hostile-other-org";
/** What the server's tokens carry (src/http/tokens.ts). */
const ISSUER = "parley";
const AUDIENCE = "parley-api";

/** A user of the organization with an open conversation of its own. */
export interface Actor {
  name: string;
  userId: string;
  token: string;
  conversationId: string;
}

/**
 * Actors lent to one request at a time, so that hostile requests never meet on a conversation (which
 * would answer 409) and a user never has more than one voice note running. Waiters queue in order; the
 * queue is bounded by the runner's lanes (each waiting request holds a lane slot).
 */
export class ActorPool {
  private readonly idle: Actor[];
  private readonly waiters: ((actor: Actor) => void)[] = [];

  constructor(readonly actors: Actor[]) {
    this.idle = [...actors];
  }

  take(): Promise<Actor> {
    const actor = this.idle.shift();
    if (actor !== undefined) return Promise.resolve(actor);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  give(actor: Actor): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(actor);
    else this.idle.push(actor);
  }
}

/** Ids of the rows of the tables that a conversation writes. */
export interface RowSnapshot {
  conversations: Set<string>;
  interactions: Set<string>;
  /** Message id → its interaction id. */
  messages: Map<string, string>;
}

type JsonResponse = { status: number; body: unknown; raw: string };

/**
 * Everything the hostile traffic is aimed at: the organization and its users (each with an open
 * conversation), a second organization, the token secret (to forge and expire tokens), and the book of
 * what the server acknowledged (so that anything else found in the database was kept by mistake).
 */
export class World {
  orgId = "";
  serviceId = "";
  adminUserId = "";
  adminToken = "";
  apiKeyId = "";
  apiKey = "";
  jwtSecret = "";
  otherOrgAdminUserId = "";
  /** A conversation of the second organization. */
  otherOrgConversationId = "";
  /** Users with `DefaultUserRole` (they see only their own conversations). */
  users!: ActorPool;
  /** Users with the administrator role, whose streams include agent actions (so the type regex runs). */
  insightUsers!: ActorPool;
  /** A user whose conversation the others must not reach. */
  victim!: Actor;
  /** The bystander's own user and conversation. */
  bystander!: Actor;
  /** One user with a conversation on each of three services (for the concurrent voice notes check). */
  crowd!: { userId: string; token: string; conversationIds: string[] };
  readonly ackedConversations = new Set<string>();
  readonly ackedInteractions = new Set<string>();
  conversationsRenewed = 0;

  constructor(readonly server: ServerProcess) {}

  get port(): number {
    return this.server.port;
  }

  /** Seeds the second organization into a data dir whose server has not started yet. */
  static async seedOtherOrganization(dataDir: string): Promise<void> {
    const store = await openStore({ dataDir });
    try {
      await seedDemo(store, new Date(), OTHER_ORG);
    } finally {
      await store.close();
    }
  }

  /** Reads the demo credentials and creates the users and conversations of the run. */
  async setUp(counts: { users: number; insightUsers: number }): Promise<void> {
    const credentials = Object.fromEntries(
      fs
        .readFileSync(path.join(this.server.dataDir, "credentials.env"), "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split("=", 2) as [string, string]),
    );
    this.orgId = credentials.AMIGO_ORGANIZATION_ID!;
    this.serviceId = credentials.AMIGO_SERVICE_ID!;
    this.adminUserId = credentials.AMIGO_USER_ID!;
    this.apiKeyId = credentials.AMIGO_API_KEY_ID!;
    this.apiKey = credentials.AMIGO_API_KEY!;
    this.jwtSecret = fs.readFileSync(path.join(this.server.dataDir, "jwt-secret"), "utf8").trim();
    this.adminToken = await this.signIn(this.adminUserId);
    const other = new Database(path.join(this.server.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const row = other.prepare("SELECT id FROM users WHERE organization_id = ? LIMIT 1").get(OTHER_ORG) as {
        id: string;
      };
      this.otherOrgAdminUserId = row.id;
    } finally {
      other.close();
    }

    const otherOrgToken = await this.forgeToken({
      organizationId: OTHER_ORG,
      userId: this.otherOrgAdminUserId,
    });
    const otherServices = await this.api("GET", `/v1/${OTHER_ORG}/service/`, otherOrgToken);
    const otherServiceId = (otherServices.body as { services: { id: string }[] }).services[0]!.id;
    this.otherOrgConversationId = await this.openConversation(otherOrgToken, otherServiceId, OTHER_ORG);

    const makeActor = async (name: string, role: string): Promise<Actor> => {
      const userId = await this.inviteUser(name, role);
      const token = await this.signIn(userId);
      return { name, userId, token, conversationId: await this.openConversation(token, this.serviceId) };
    };
    const users: Actor[] = [];
    for (let i = 0; i < counts.users; i += 1) users.push(await makeActor(`user${i}`, "DefaultUserRole"));
    this.users = new ActorPool(users);
    const insight: Actor[] = [];
    for (let i = 0; i < counts.insightUsers; i += 1) {
      insight.push(await makeActor(`insight${i}`, "DefaultAmigoAdministratorRole"));
    }
    this.insightUsers = new ActorPool(insight);
    this.victim = await makeActor("victim", "DefaultUserRole");
    this.bystander = await makeActor("bystander", "DefaultUserRole");

    const crowdUser = await this.inviteUser("crowd", "DefaultUserRole");
    const crowdToken = await this.signIn(crowdUser);
    const conversationIds = [await this.openConversation(crowdToken, this.serviceId)];
    for (const serviceId of await this.extraServices(2)) {
      conversationIds.push(await this.openConversation(crowdToken, serviceId));
    }
    this.crowd = { userId: crowdUser, token: crowdToken, conversationIds };
  }

  /** A JSON API call (setup and bookkeeping only; hostile requests go through `exchange`). */
  async api(method: string, route: string, token: string | undefined, json?: unknown): Promise<JsonResponse> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.server.baseUrl}${route}`, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const raw = await response.text();
    let body: unknown;
    try {
      body = raw === "" ? null : JSON.parse(raw);
    } catch {
      body = null;
    }
    return { status: response.status, body, raw };
  }

  async signIn(userId: string): Promise<string> {
    const response = await fetch(`${this.server.baseUrl}/v1/${this.orgId}/user/signin_with_api_key`, {
      method: "POST",
      headers: { "x-api-key": this.apiKey, "x-api-key-id": this.apiKeyId, "x-user-id": userId },
    });
    if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
    return ((await response.json()) as { id_token: string }).id_token;
  }

  private async inviteUser(name: string, roleName: string): Promise<string> {
    const invited = await this.api("POST", `/v1/${this.orgId}/user/`, this.adminToken, {
      first_name: name,
      last_name: "Hostile",
      email: `${name}@hostile.example`,
      role_name: roleName,
    });
    if (invited.status !== 201) throw new Error(`invite ${name}: ${invited.status} ${invited.raw}`);
    return (invited.body as { user_id: string }).user_id;
  }

  /** Services that reuse the demo agent and graph. */
  private async extraServices(count: number): Promise<string[]> {
    const listed = await this.api("GET", `/v1/${this.orgId}/service/?id=${this.serviceId}`, this.adminToken);
    const demo = (
      listed.body as { services: { agent_id?: string; service_hierarchical_state_machine_id?: string }[] }
    ).services[0]!;
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const created = await this.api("POST", `/v1/${this.orgId}/service/`, this.adminToken, {
        name: `Hostile copy ${i}`,
        description: "A copy of the demo service",
        is_active: true,
        agent_id: demo.agent_id,
        service_hierarchical_state_machine_id: demo.service_hierarchical_state_machine_id,
        keyterms: [],
        tags: {},
      });
      if (created.status !== 201) throw new Error(`create service: ${created.status} ${created.raw}`);
      const serviceId = (created.body as { id: string }).id;
      const set = await this.api(
        "PUT",
        `/v1/${this.orgId}/service/${serviceId}/version_sets/release/`,
        this.adminToken,
        {
          version_set: {
            agent_version_number: 1,
            service_hierarchical_state_machine_version_number: 1,
            llm_model_preferences: {},
          },
        },
      );
      if (set.status !== 204) throw new Error(`version set: ${set.status} ${set.raw}`);
      ids.push(serviceId);
    }
    return ids;
  }

  /** Creates a conversation (its opening turn acknowledged) and returns its id. */
  async openConversation(token: string, serviceId: string, orgId = this.orgId): Promise<string> {
    const created = await fetch(`${this.server.baseUrl}/v1/${orgId}/conversation/?response_format=text`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ service_id: serviceId }),
    });
    const raw = await created.text();
    if (created.status !== 201) throw new Error(`create conversation: ${created.status} ${raw}`);
    const events = this.acknowledge(raw);
    const id = events.find((e) => e.type === "conversation-created")?.conversation_id;
    if (typeof id !== "string") throw new Error(`no conversation-created event in ${raw.slice(0, 300)}`);
    return id;
  }

  /**
   * Books the conversations and interactions a (complete) NDJSON reply acknowledged; returns its events
   * and whether the conversation reached its end.
   */
  acknowledge(body: string): { type: string; [field: string]: unknown }[] & { completed?: boolean } {
    const events = ndjsonEvents(body) as { type: string; [field: string]: unknown }[] & {
      completed?: boolean;
    };
    for (const event of events) {
      if (event.type === "conversation-created" && typeof event.conversation_id === "string") {
        this.ackedConversations.add(event.conversation_id);
      }
      if (event.type === "interaction-complete" && typeof event.interaction_id === "string") {
        this.ackedInteractions.add(event.interaction_id);
        if (event.conversation_completed === true) events.completed = true;
      }
    }
    return events;
  }

  /** Gives an actor whose conversation has ended a new one. */
  async renew(actor: Actor): Promise<void> {
    actor.conversationId = await this.openConversation(actor.token, this.serviceId);
    this.conversationsRenewed += 1;
  }

  /** The rows of the conversation tables, read from the SQLite file beside the running server. */
  snapshot(): RowSnapshot {
    const db = new Database(path.join(this.server.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const ids = (table: string) =>
        new Set((db.prepare(`SELECT id FROM ${table}`).all() as { id: string }[]).map((r) => r.id));
      const messages = new Map(
        (
          db.prepare("SELECT id, interaction_id FROM messages").all() as {
            id: string;
            interaction_id: string;
          }[]
        ).map((r) => [r.id, r.interaction_id]),
      );
      return { conversations: ids("conversations"), interactions: ids("interactions"), messages };
    } finally {
      db.close();
    }
  }

  /** A token signed with the server's own secret, with whatever claims a test needs. */
  async forgeToken(options: {
    organizationId?: string;
    userId?: string;
    issuer?: string;
    audience?: string;
    issuedAtSeconds?: number;
    expiresAtSeconds?: number;
    notBeforeSeconds?: number;
    secret?: string;
  }): Promise<string> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT({ org: options.organizationId ?? this.orgId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(options.userId ?? this.adminUserId)
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(options.issuedAtSeconds ?? nowSeconds)
      .setExpirationTime(options.expiresAtSeconds ?? nowSeconds + 3600);
    if (options.notBeforeSeconds !== undefined) jwt = jwt.setNotBefore(options.notBeforeSeconds);
    return jwt.sign(new TextEncoder().encode(options.secret ?? this.jwtSecret));
  }
}
