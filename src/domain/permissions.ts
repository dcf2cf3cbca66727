/**
 * Permission strings in the API's `Resource:Action` form: every permission the Amigo spec names (its
 * endpoint descriptions say which one each call needs). `DefaultAmigoAdministratorRole` and
 * `DefaultSuperAdministratorRole` hold all of them, `DefaultAdministratorRole` all but the platform-level
 * ones, and `DefaultUserRole` what an end user needs to talk to agents and manage their own profile.
 */
export const ALL_PERMISSIONS = [
  // Organization
  "Organization:CreateAPIKey",
  "Organization:CreateAgent",
  "Organization:CreateAgentVersion",
  "Organization:CreateOrganization",
  "Organization:CreateServiceHierarchicalStateMachine",
  "Organization:CreateServiceHierarchicalStateMachineVersion",
  "Organization:DeleteAPIKey",
  "Organization:DeleteAgent",
  "Organization:DeleteOrganization",
  "Organization:DeleteServiceHierarchicalStateMachine",
  "Organization:GetAPIKey",
  "Organization:GetAgent",
  "Organization:GetOrganizationDetails",
  "Organization:GetServiceHierarchicalStateMachine",
  "Organization:ModifyOrganization",
  // Role
  "Role:CreateRole",
  "Role:CreateTemporaryPermissionGrant",
  "Role:GetRole",
  "Role:GetTemporaryPermissionGrant",
  "Role:ModifyRole",
  // User
  "User:GetUserInfo",
  "User:GetUserModel",
  "User:InviteUser",
  "User:UpdateUserInfo",
  // Service
  "Service:CreateService",
  "Service:CreateVersionSet",
  "Service:DeleteVersionSet",
  "Service:GetService",
  "Service:UpdateService",
  "Service:UpdateVersionSet",
  // Conversation
  "Conversation:CreateConversation",
  "Conversation:FinishConversation",
  "Conversation:GetInteractionInsights",
  "Conversation:GetMessage",
  "Conversation:GetRecommendedResponses",
  "Conversation:InteractWithConversation",
  "Conversation:ModifyConversation",
  // Tool
  "Tool:CreateTool",
  "Tool:DeleteTool",
  "Tool:InvokeTool",
  "Tool:ModifyTool",
  // DynamicBehaviorInstruction
  "DynamicBehaviorInstruction:CreateDynamicBehaviorInstruction",
  "DynamicBehaviorInstruction:DeleteDynamicBehaviorInstruction",
  "DynamicBehaviorInstruction:GetDynamicBehaviorInstruction",
  "DynamicBehaviorInstruction:UpdateDynamicBehaviorInstruction",
  // Metric
  "Metric:CreateMetric",
  "Metric:DeleteMetric",
  "Metric:EvaluateMetric",
  "Metric:GetMetric",
  "Metric:GetMetricEvaluationResult",
  "Metric:ModifyMetric",
  // Simulation
  "Simulation:CancelSimulationUnitTestSetRun",
  "Simulation:CreateSimulationPersona",
  "Simulation:CreateSimulationScenario",
  "Simulation:CreateSimulationUnitTest",
  "Simulation:CreateSimulationUnitTestSet",
  "Simulation:CreateSimulationUnitTestSetRun",
  "Simulation:DeleteSimulationPersona",
  "Simulation:DeleteSimulationScenario",
  "Simulation:DeleteSimulationUnitTest",
  "Simulation:DeleteSimulationUnitTestSet",
  "Simulation:GetSimulationPersona",
  "Simulation:GetSimulationScenario",
  "Simulation:GetSimulationUnitTest",
  "Simulation:GetSimulationUnitTestSet",
  "Simulation:GetSimulationUnitTestSetRun",
  "Simulation:ModifySimulationPersona",
  "Simulation:ModifySimulationScenario",
  "Simulation:ModifySimulationUnitTest",
  "Simulation:ModifySimulationUnitTestSet",
  // Webhook
  "Webhook:CreateWebhookDestination",
  "Webhook:DeleteWebhookDestination",
  "Webhook:GetWebhookDeliveries",
  "Webhook:GetWebhookDestination",
  "Webhook:UpdateWebhookDestination",
  // Admin
  "Admin:GetModels",
] as const;

export type Permission = (typeof ALL_PERMISSIONS)[number];

export const ADMIN_ROLE_NAME = "DefaultAmigoAdministratorRole";
export const DEFAULT_USER_ROLE_NAME = "DefaultUserRole";
/** The spec's default role for a new API key (`create-api-key`'s `role_name`): an organization's administrator. */
export const ORGANIZATION_ADMIN_ROLE_NAME = "DefaultAdministratorRole";
export const SUPER_ADMIN_ROLE_NAME = "DefaultSuperAdministratorRole";

/** Permissions above an organization's own administration: creating or deleting organizations, Amigo's model list. */
const PLATFORM_PERMISSIONS: readonly Permission[] = [
  "Organization:CreateOrganization",
  "Organization:DeleteOrganization",
  "Admin:GetModels",
];

/** What an organization's administrator may do: every permission except the platform-level ones. */
export const ORGANIZATION_ADMIN_PERMISSIONS: readonly Permission[] = ALL_PERMISSIONS.filter(
  (permission) => !PLATFORM_PERMISSIONS.includes(permission),
);

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

/** True when `value` is a permission the API defines. */
export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as readonly string[]).includes(value);
}

/**
 * True when a role holding `permissions` is no more permissive than one holding `ceiling`: every one of
 * its permissions is also in `ceiling`. An API key signs in only users whose role is within the key's
 * role, and a user creates only keys whose role is within their own.
 */
export function isWithinPermissions(permissions: Iterable<string>, ceiling: Iterable<string>): boolean {
  const allowed = new Set(ceiling);
  for (const permission of permissions) if (!allowed.has(permission)) return false;
  return true;
}
