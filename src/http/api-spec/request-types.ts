/**
 * The request bodies handlers receive, typed as the spec's schemas accept them (the validator has checked
 * them and filled the defaults the schemas give). `NotSet` is the spec's `_NotSet`: an object meaning
 * "leave the field unchanged", where `null` means "erase it".
 */
export type NotSet = Record<string, never>;

export type Tags = Record<string, string | null>;

export interface VersionSetBody {
  agent_version_number: number | null;
  service_hierarchical_state_machine_version_number: number | null;
  llm_model_preferences: Record<string, { llm_name: string; params?: Record<string, unknown> }>;
}

export interface CreateInvitedUserBody {
  first_name: string;
  last_name: string;
  email: string;
  role_name: string;
  login_link?: string | null;
  nonsensitive_user_variables: Record<string, string>;
  sensitive_user_variables: Record<string, string>;
  user_preferences?: {
    enable_response_recommendation?: boolean;
    preferred_language?: string | null;
    conversations_visible_to_admins?: boolean;
    user_model_visible_to_admins?: boolean;
    timezone?: string | null;
    audio_keyterms?: string[];
  } | null;
}

export interface UpdateUserInfoBody {
  first_name?: string | null;
  last_name?: string | null;
  enable_response_recommendation?: boolean | null;
  preferred_language: string | NotSet | null;
  timezone: string | NotSet | null;
  conversations_visible_to_admins?: boolean | null;
  user_model_visible_to_admins?: boolean | null;
  additional_context?: string[] | null;
  audio_keyterms?: string[] | null;
}

export interface CreateApiKeyBody {
  name: string | null;
  duration: string;
  role_name: string;
}

export interface CreateAgentBody {
  agent_name: string;
}

export interface CreateStateMachineBody {
  state_machine_name: string;
}

export interface CreateServiceBody {
  service_hierarchical_state_machine_id: string;
  agent_id: string;
  name: string;
  description: string;
  is_active: boolean;
  release_version_set?: VersionSetBody | null;
  keyterms: string[];
  tags: Tags;
}

export interface UpdateServiceBody {
  name?: string | null;
  description?: string | null;
  is_active?: boolean | null;
  agent_id?: string | null;
  service_hierarchical_state_machine_id?: string | null;
  tags?: Tags | null;
  keyterms?: string[] | null;
}

export interface UpsertVersionSetBody {
  version_set: VersionSetBody;
}

export interface CreateConversationBody {
  service_id: string;
  service_version_set_name: string;
  initial_message?: string | null;
  initial_message_type?: "user-message" | "external-event" | null;
  tags: Tags;
}

export interface GenerateConversationStarterBody {
  service_id: string;
  service_version_set_name: string;
  facets: string[];
  min_count: number;
  max_count: number;
  generation_instructions: string;
}

export interface ModifyTagsBody {
  updates: Tags;
  deletes: string[];
}

/** The text interaction's body (a multipart form; a JSON object with the same fields is accepted too). */
export interface InteractBody {
  initial_message_type: "user-message" | "external-event" | "skip";
  recorded_message: string;
  external_event_message_content: string[];
  external_event_message_timestamp: string[];
}
