import type { Organization, User } from "./identity.js";

/** Who is calling: resolved from the token on every request, so role changes apply at once. */
export interface Principal {
  organization: Organization;
  user: User;
  permissions: ReadonlySet<string>;
}
