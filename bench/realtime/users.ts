/** Demo credentials of a bench server (its credentials.env). */
export type Credentials = Record<string, string>;

async function signIn(env: Credentials, userId: string): Promise<string> {
  const response = await fetch(
    `${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}/user/signin_with_api_key`,
    {
      method: "POST",
      headers: {
        "x-api-key": env.AMIGO_API_KEY!,
        "x-api-key-id": env.AMIGO_API_KEY_ID!,
        "x-user-id": userId,
      },
    },
  );
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status}`);
  return ((await response.json()) as { id_token: string }).id_token;
}

/**
 * Tokens of `count` new users (role DefaultUserRole), made through the admin API as the demo user: a
 * user may hold one unfinished conversation per service, so each session needs its own.
 */
export async function newUserTokens(env: Credentials, count: number): Promise<string[]> {
  const adminToken = await signIn(env, env.AMIGO_USER_ID!);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const created = await fetch(`${env.AMIGO_BASE_URL}/v1/${env.AMIGO_ORGANIZATION_ID}/user/`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        first_name: "Realtime",
        last_name: String(i),
        email: `realtime${i}@example.com`,
        role_name: "DefaultUserRole",
      }),
    });
    if (created.status >= 300)
      throw new Error(`create user failed: ${created.status} ${await created.text()}`);
    const { user_id } = (await created.json()) as { user_id: string };
    tokens.push(await signIn(env, user_id));
  }
  return tokens;
}
