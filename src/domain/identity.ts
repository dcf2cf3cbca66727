import type { JsonObject } from "./json.js";

export interface Organization {
  id: string;
  name: string;
  title: string;
  createdAt: string;
}

export interface Role {
  id: string;
  organizationId: string;
  name: string;
  description: string;
  permissions: string[];
}

export interface User {
  id: string;
  organizationId: string;
  email: string;
  firstName: string;
  lastName: string;
  roleName: string;
  preferredLanguage: string;
  timezone: string;
  userModel: JsonObject;
  createdAt: string;
}

/** A user's activity, as the API's `user_stats`. */
export interface UserStats {
  /** Conversations the user started. */
  numConversations: number;
  /** Messages sent and received in the user's conversations. */
  numMessages: number;
  /** ISO-8601 UTC time of the latest of those messages; null when there is none. */
  lastMessageTime: string | null;
}

export interface ApiKey {
  id: string;
  organizationId: string;
  userId: string;
  secretHash: string;
  roleName: string;
  expiresAt: string;
  createdAt: string;
}
