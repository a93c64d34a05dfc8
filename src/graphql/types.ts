import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { errorCatalog } from '../errors/catalog.js';
import { ErrorCode } from '../errors/codes.js';

export enum ProviderProtocol {
  OAUTH2 = 'OAUTH2',
  OIDC = 'OIDC',
}
registerEnumType(ProviderProtocol, {
  name: 'ProviderProtocol',
  description: 'How the gateway talks to a provider.',
  valuesConfig: {
    OAUTH2: { description: 'OAuth 2.0 authorization code flow with PKCE; the profile comes from the provider API.' },
    OIDC: { description: 'OpenID Connect: OAuth 2.0 plus a validated ID token; endpoints come from discovery.' },
  },
});

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'The `extensions.code` of every error this API returns; `extensions.http.status` carries the matching HTTP status.',
  valuesConfig: Object.fromEntries(
    Object.entries(errorCatalog).map(([code, entry]) => [code, { description: `HTTP ${entry.status}. ${entry.description}` }]),
  ),
});

// Every output type is `simpleResolvers`: its fields are plain properties, read by graphql-js's own
// default resolver rather than a type-graphql wrapper per field (the gateway has no field middleware).
@ObjectType({ simpleResolvers: true, description: 'An identity provider a user can connect an account at.' })
export class Provider {
  @Field({ description: 'Stable id used in every other operation, lowercase `[a-z0-9-]`, e.g. "github".' })
  id!: string;

  @Field({ description: 'Human-readable name, e.g. "GitHub".' })
  name!: string;

  @Field(() => ProviderProtocol, { description: 'OAuth 2.0 or OpenID Connect.' })
  protocol!: ProviderProtocol;

  @Field({
    description: 'Whether client credentials are configured; `startAuth` on an unconfigured provider fails with PROVIDER_NOT_CONFIGURED.',
  })
  configured!: boolean;

  @Field(() => [String], { description: 'Scopes requested when `startAuth` is given none.' })
  defaultScopes!: string[];

  @Field({ description: 'Whether expired access tokens are renewed with a refresh token.' })
  supportsRefresh!: boolean;

  @Field({ description: 'Whether `disconnect` revokes the grant at the provider, not only here.' })
  supportsRevocation!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'A started authorization: send the user to `authorizationUrl`.' })
export class AuthStart {
  @Field({ description: 'The provider id.' })
  provider!: string;

  @Field({ description: "The provider's authorization page, with state and PKCE challenge; open it in the browser." })
  authorizationUrl!: string;

  @Field({ description: 'Opaque, single-use value (256 bits of randomness) that `completeAuth` must be given back.' })
  state!: string;

  @Field({ description: 'When the state stops being accepted.' })
  expiresAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'The result of a completed authorization: a session holding the new connection.' })
export class AuthSession {
  @Field({ description: 'Opaque bearer handle of the session (256 bits of randomness). Keep it secret, like a password.' })
  sessionId!: string;

  @Field({ description: 'The provider id.' })
  provider!: string;

  @Field(() => [String], { description: 'Scopes the provider actually granted.' })
  scopes!: string[];

  @Field(() => Date, {
    nullable: true,
    description: "When the provider's access token expires (the gateway refreshes it); null when it does not expire.",
  })
  accessTokenExpiresAt?: Date | null;

  @Field({ description: 'When the session expires.' })
  sessionExpiresAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: "A user's profile at a provider, normalized; `raw` keeps the provider's own document." })
export class Profile {
  @Field({ description: 'The provider id.' })
  provider!: string;

  @Field(() => ID, { description: "The provider's stable user id (OpenID Connect: `sub`)." })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The name the user shows.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'The login or handle, where the provider has one.' })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'E-mail address, when the granted scopes reveal one.' })
  email?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the provider verified the e-mail; null when it does not say.' })
  emailVerified?: boolean | null;

  @Field(() => String, { nullable: true, description: 'URL of the avatar picture.' })
  avatarUrl?: string | null;

  @Field(() => String, { nullable: true, description: "URL of the user's public page at the provider." })
  profileUrl?: string | null;

  @Field(() => GraphQLJSONObject, { description: "The provider's own profile document, untouched." })
  raw!: Record<string, unknown>;
}

@ObjectType({ simpleResolvers: true, description: "One provider's connection within a session." })
export class Connection {
  @Field({ description: 'The provider id.' })
  provider!: string;

  @Field(() => [String], { description: 'Scopes granted.' })
  scopes!: string[];

  @Field({ description: 'When the user connected the account.' })
  connectedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the current access token expires; null when it does not expire.' })
  accessTokenExpiresAt?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "A user's session: the accounts connected through it." })
export class Session {
  @Field({ description: 'The session handle.' })
  sessionId!: string;

  @Field(() => [Connection], { description: 'One connection per provider.' })
  connections!: Connection[];

  @Field({ description: 'When the session expires.' })
  expiresAt!: Date;
}
