import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { RelayedJSON } from './json-relay.js';

export enum ProviderCredential {
  USER = 'USER',
  APP = 'APP',
}
registerEnumType(ProviderCredential, {
  name: 'ProviderCredential',
  description: 'Whose token a provider API call was made with.',
  valuesConfig: {
    USER: { description: "The session's connection: the user's own access token." },
    APP: { description: "The gateway's own client-credentials token (RFC 6749 §4.4), for calls without a sessionId." },
  },
});

export enum ProviderWriteMethod {
  POST = 'POST',
  PUT = 'PUT',
  PATCH = 'PATCH',
  DELETE = 'DELETE',
}
registerEnumType(ProviderWriteMethod, {
  name: 'ProviderWriteMethod',
  description: 'HTTP methods of `callProvider` (reads are `providerRequest`, always GET).',
});

@InputType({ description: 'A request header sent to the provider; only allow-listed names are accepted.' })
export class HttpHeaderInput {
  @Field({ description: 'Header name, e.g. "if-none-match" (case-insensitive).' })
  @MaxLength(64)
  name!: string;

  @Field({ description: 'Header value.' })
  @MaxLength(1024)
  value!: string;
}

@InputType({ description: 'A query parameter of a provider API call.' })
export class QueryParamInput {
  @Field({ description: 'Parameter name, e.g. "per_page".' })
  @MaxLength(256)
  name!: string;

  @Field({ description: 'Parameter value (encoded by the gateway).' })
  @MaxLength(2048)
  value!: string;
}

@InputType({ description: "A call to the provider's API, relative to its configured API base." })
export class ProviderRequestInput {
  @Field({ description: 'Path relative to the API base, e.g. "/user/repos"; no absolute URL, dot segment, "//", "\\\\" or "?".' })
  @MaxLength(4096)
  path!: string;

  @Field(() => [QueryParamInput], { nullable: true, description: 'Query parameters.' })
  @IsOptional()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  query?: QueryParamInput[] | null;

  @Field(() => [HttpHeaderInput], { nullable: true, description: 'Allow-listed request headers only (accept, if-none-match, ...).' })
  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  headers?: HttpHeaderInput[] | null;

  @Field(() => String, { nullable: true, description: '`pageInfo.nextCursor` of a previous answer: replaces `path` and `query`.' })
  @IsOptional()
  @MaxLength(8192)
  after?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A response header of the provider, from the response allow-list.' })
export class HttpHeader {
  @Field({ description: 'Lower-case header name.' })
  name!: string;

  @Field({ description: 'Header value.' })
  value!: string;
}

@ObjectType({ simpleResolvers: true, description: "Pagination of a provider's list answer (GitHub's Link header, Spotify's `next`)." })
export class ProviderPageInfo {
  @Field({ description: 'Whether a next page can be read through the gateway.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `request.after` to read the next page; opaque.' })
  nextCursor?: string | null;
}

@ObjectType({ simpleResolvers: true, description: "The provider's rate-limit figures for this credential, when it sends them." })
export class ProviderRateLimit {
  @Field(() => Int, { nullable: true, description: 'Requests allowed in the window.' })
  limit?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests left in the window.' })
  remaining?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the window resets.' })
  resetAt?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "The provider's answer, 4xx included: `status` and `ok` say how it went." })
export class ProviderResponse {
  @Field({ description: 'The provider id.' })
  provider!: string;

  @Field(() => ProviderCredential, { description: 'Whose token the call was made with.' })
  credential!: ProviderCredential;

  @Field(() => Int, { description: "The provider's HTTP status." })
  status!: number;

  @Field({ description: 'Whether the status is 2xx.' })
  ok!: boolean;

  @Field({ description: 'The provider answered 304 to a conditional request (`if-none-match`): the copy the caller holds is current.' })
  notModified!: boolean;

  @Field(() => [HttpHeader], { description: 'Allow-listed response headers (etag, link, x-ratelimit-*, ...).' })
  headers!: HttpHeader[];

  @Field(() => String, { nullable: true, description: "The answer's content type." })
  contentType?: string | null;

  @Field(() => RelayedJSON, { nullable: true, description: 'The body when it is JSON (an object, an array, ...).' })
  json?: unknown;

  @Field(() => String, { nullable: true, description: 'The body when it is text but not JSON.' })
  text?: string | null;

  @Field(() => ProviderPageInfo, { description: 'The next page, when the answer is a page of a list.' })
  pageInfo!: ProviderPageInfo;

  @Field(() => ProviderRateLimit, { nullable: true, description: 'Rate-limit figures, when the provider sends them.' })
  rateLimit?: ProviderRateLimit | null;
}
