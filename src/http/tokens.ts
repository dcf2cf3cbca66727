import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { jwtVerify, SignJWT } from "jose";

const ISSUER = "parley";
const AUDIENCE = "parley-api";

export interface TokenClaims {
  organizationId: string;
  userId: string;
}

/** Signs and verifies id tokens (HS256 JWTs carrying the organization and the user). */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: TokenClaims, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const issuedAtSeconds = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAtSeconds + this.ttlSeconds) * 1000);
    const token = await new SignJWT({ org: claims.organizationId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAtSeconds)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The claims of a valid token, or undefined for a bad, foreign or expired one. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE });
      if (typeof payload.org !== "string" || typeof payload.sub !== "string") return undefined;
      return { organizationId: payload.org, userId: payload.sub };
    } catch {
      return undefined;
    }
  }
}

/** The configured secret, or one generated on first start and kept in `<dataDir>/jwt-secret`. */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = path.join(dataDir, "jwt-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      // Another process wrote it first.
      return fs.readFileSync(file, "utf8").trim();
    }
  }
}

export function hashApiKeySecret(secret: string): string {
  return crypto.createHash("sha256").update(secret).digest("hex");
}

export function apiKeySecretMatches(secret: string, hash: string): boolean {
  const actual = Buffer.from(hashApiKeySecret(secret), "hex");
  const expected = Buffer.from(hash, "hex");
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

export function newApiKeySecret(): string {
  return crypto.randomBytes(32).toString("base64url");
}
