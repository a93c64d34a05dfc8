import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import type { Logger } from 'pino';
import { AppError } from './app-error.js';
import { ErrorCode } from './codes.js';

/**
 * The one boundary where any error becomes a client-facing AppError: our own pass through, argument
 * validation becomes BAD_USER_INPUT naming the fields, and anything unforeseen is logged in full
 * and answered as INTERNAL_SERVER_ERROR with no detail.
 */
export function toAppError(error: unknown, logger: Logger): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ArgumentValidationError) {
    const fields = fieldPaths(error.extensions.validationErrors as ValidationError[]);
    return new AppError(ErrorCode.BAD_USER_INPUT, `Invalid argument${fields.length > 1 ? 's' : ''}: ${fields.join(', ')}.`, { fields });
  }
  logger.error({ err: error }, 'unexpected error');
  return new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
}

function fieldPaths(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    return e.children && e.children.length > 0 ? fieldPaths(e.children, path) : [path];
  });
}

/**
 * Apollo's formatError: every error leaves with `code` from our catalog and `http.status` (Apollo
 * strips the latter by default; the SPEC puts it back). Errors Apollo raises before execution
 * (parse, validation, variable coercion) are the client's bad input.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  let appError: AppError;
  if (original instanceof AppError || original instanceof ArgumentValidationError) {
    appError = toAppError(original, logger);
  } else if (original instanceof GraphQLError && original.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
    // Raised by graphql-js or Apollo before execution: malformed document, unknown field, bad variable.
    appError = new AppError(ErrorCode.BAD_USER_INPUT, original.message);
  } else {
    appError = toAppError(original, logger);
  }
  return { message: appError.message, locations: formatted.locations, path: formatted.path, extensions: appError.toExtensions() };
}
