import { ArrayMaxSize, IsOptional, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { RelayedJSON } from './json-relay.js';
import { ProviderRequestInput, ProviderWriteMethod } from './proxy.types.js';

// Handles the gateway issues are 43 base64url characters; anything else is malformed input.
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
const PROVIDER_ID = /^[a-z0-9-]{1,64}$/;
const HANDLE_MESSAGE = 'must be a handle issued by this gateway (43 base64url characters)';
const PROVIDER_MESSAGE = 'must be a provider id: 1 to 64 characters of a-z, 0-9 and -';

@InputType({ description: 'Options of `startAuth`.' })
export class StartAuthOptions {
  @Field(() => [String], { nullable: true, description: "Scopes to request instead of the provider's default scopes." })
  @IsOptional()
  @ArrayMaxSize(50)
  @MaxLength(200, { each: true })
  @MinLength(1, { each: true })
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+$/, { each: true, message: 'each scope must be a scope-token (RFC 6749 §3.3)' })
  scopes?: string[];

  @Field({ nullable: true, description: 'An existing session to link the new connection into.' })
  @IsOptional()
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  sessionId?: string;
}

@ArgsType()
export class ProviderArgs {
  @Field({ description: 'The provider id, e.g. "github".' })
  @Matches(PROVIDER_ID, { message: PROVIDER_MESSAGE })
  provider!: string;
}

@ArgsType()
export class StartAuthArgs extends ProviderArgs {
  @Field(() => StartAuthOptions, { nullable: true, description: 'Scopes and session linking.' })
  @IsOptional()
  @ValidateNested()
  options?: StartAuthOptions;
}

@ArgsType()
export class CompleteAuthArgs extends ProviderArgs {
  @Field({ description: 'The `code` the provider appended to the callback URL.' })
  @MinLength(1)
  @MaxLength(2048)
  code!: string;

  @Field({ description: 'The `state` the provider appended to the callback URL.' })
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  state!: string;
}

@ArgsType()
export class SessionArgs {
  @Field({ description: 'The session handle returned by `completeAuth`.' })
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  sessionId!: string;
}

@ArgsType()
export class ProviderSessionArgs extends ProviderArgs {
  @Field({ description: 'The session handle returned by `completeAuth`.' })
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  sessionId!: string;
}

@ArgsType()
export class ProviderRequestArgs extends ProviderArgs {
  @Field(() => String, { nullable: true, description: "The session whose connection makes the call; omitted: the gateway's app token." })
  @IsOptional()
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  sessionId?: string | null;

  @Field(() => ProviderRequestInput, { description: 'Path, query, headers, cursor.' })
  @ValidateNested()
  request!: ProviderRequestInput;
}

@ArgsType()
export class CallProviderArgs extends ProviderArgs {
  @Field(() => String, { nullable: true, description: "The session whose connection makes the call; omitted: the gateway's app token." })
  @IsOptional()
  @Matches(HANDLE, { message: HANDLE_MESSAGE })
  sessionId?: string | null;

  @Field(() => ProviderWriteMethod, { description: 'The HTTP method.' })
  method!: ProviderWriteMethod;

  @Field(() => ProviderRequestInput, { description: 'Path, query, headers.' })
  @ValidateNested()
  request!: ProviderRequestInput;

  @Field(() => RelayedJSON, { nullable: true, description: 'A JSON body (at most 256 KiB), sent as application/json.' })
  body?: unknown;
}
