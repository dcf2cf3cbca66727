/**
 * Permission strings in the API's `Resource:Action` form. The admin role holds every one of them;
 * `DefaultUserRole` holds what an end user needs to talk to agents and manage their own profile.
 */
export const ALL_PERMISSIONS = [
  "Organization:GetOrganizationDetails",
  "Organization:ModifyOrganization",
  "Organization:CreateAPIKey",
  "Organization:GetAPIKey",
  "Organization:DeleteAPIKey",
  "Organization:CreateAgent",
  "Organization:GetAgent",
  "Organization:DeleteAgent",
  "Organization:CreateAgentVersion",
  "Organization:CreateServiceHierarchicalStateMachine",
  "Organization:GetServiceHierarchicalStateMachine",
  "Organization:DeleteServiceHierarchicalStateMachine",
  "Organization:CreateServiceHierarchicalStateMachineVersion",
  "User:InviteUser",
  "User:GetUserInfo",
  "User:UpdateUserInfo",
  "User:GetUserModel",
  "Service:CreateService",
  "Service:GetService",
  "Service:UpdateService",
  "Service:CreateVersionSet",
  "Service:UpdateVersionSet",
  "Service:DeleteVersionSet",
  "Conversation:CreateConversation",
  "Conversation:InteractWithConversation",
  "Conversation:GetMessage",
  "Conversation:FinishConversation",
  "Conversation:GetInteractionInsights",
  "Conversation:GetRecommendedResponses",
  "Conversation:ModifyConversation",
] as const;

export type Permission = (typeof ALL_PERMISSIONS)[number];

export const ADMIN_ROLE_NAME = "DefaultAmigoAdministratorRole";
export const DEFAULT_USER_ROLE_NAME = "DefaultUserRole";

/** What an ordinary user may do: talk to services and read and manage their own data. */
export const DEFAULT_USER_PERMISSIONS: readonly Permission[] = [
  "User:GetUserInfo",
  "User:UpdateUserInfo",
  "User:GetUserModel",
  "Service:GetService",
  "Conversation:CreateConversation",
  "Conversation:InteractWithConversation",
  "Conversation:GetMessage",
  "Conversation:FinishConversation",
  "Conversation:GetRecommendedResponses",
  "Conversation:ModifyConversation",
];
