import { validateSync, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

/**
 * The options type-graphql would pass to class-validator: properties that are absent are skipped
 * (GraphQL itself enforces non-null arguments), and objects without decorators are accepted.
 */
const options: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

/**
 * Validates an argument against its class-validator decorators, as `buildSchema({ validate: true })`
 * does, but synchronously: type-graphql's own path imports class-validator dynamically and awaits
 * its asynchronous `validate` on every call, which costs more than the resolver behind it. None of
 * the gateway's decorators is asynchronous, so `validateSync` checks the same rules.
 */
export function validateArgs(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  for (const item of Array.isArray(value) ? value : [value]) {
    if (item === null || typeof item !== 'object') continue;
    const errors = validateSync(item as object, options);
    if (errors.length > 0) throw new ArgumentValidationError(errors);
  }
}
