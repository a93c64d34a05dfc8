import {
  getMetadataStorage,
  MATCHES,
  validateSync,
  ValidationTypes,
  type MetadataStorage,
  type ValidationArguments,
  type ValidatorOptions,
} from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

/**
 * The options type-graphql would pass to class-validator: properties that are absent are skipped
 * (GraphQL itself enforces non-null arguments), and objects without decorators are accepted.
 */
const options: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

/**
 * Validates an argument against its class-validator decorators, as `buildSchema({ validate: true })`
 * does, but synchronously and, for valid input, without class-validator's executor: type-graphql's
 * own path imports class-validator dynamically and awaits its asynchronous `validate` on every
 * call, and the executor builds an error tree for every property even when nothing fails, which
 * together cost more than the resolver behind them. Each class's decorators are compiled once into
 * a check that calls the same constraint validators; only input that fails it (or a class using
 * something the check does not know) goes through `validateSync`, which then builds the errors.
 */
export function validateArgs(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  for (const item of Array.isArray(value) ? value : [value]) {
    if (item === null || typeof item !== 'object' || passes(item as object)) continue;
    const errors = validateSync(item as object, options);
    if (errors.length > 0) throw new ArgumentValidationError(errors);
  }
}

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** Whether an object passes its class's rules; `undefined` checks mean "ask class-validator". */
type Check = (object: Record<string, unknown>) => boolean;
const checks = new Map<unknown, Check | undefined>();

/** Exported for the test that holds it to class-validator's verdicts. */
export function passes(object: object): boolean {
  const ctor = object.constructor;
  let check = checks.get(ctor);
  if (check === undefined && !checks.has(ctor)) {
    check = compile(ctor as new () => unknown);
    checks.set(ctor, check);
  }
  return check !== undefined && check(object as Record<string, unknown>);
}

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;
const items = (value: unknown[] | Set<unknown> | Map<unknown, unknown>): unknown[] => (Array.isArray(value) ? value : [...value.values()]);

/** A nested value passes when it is an object that passes (each item, for a collection), as class-validator's ValidateNested. */
function nestedPasses(value: unknown): boolean {
  if (isCollection(value)) return items(value).every((item) => item === null || item === undefined || nestedPasses(item));
  return value instanceof Object && passes(value);
}

/** A RegExp whose `test` keeps no state between calls (no g or y flag). */
const plainPattern = (value: unknown): value is RegExp => value instanceof RegExp && !value.global && !value.sticky;

/**
 * One check per property, in class-validator's order: conditions (`@IsOptional`), then absent values
 * skipped (`skipMissingProperties`), then every custom constraint (each item with `each`), then
 * nested objects. A class with any other kind of rule, or an asynchronous or conditional
 * constraint, gets no compiled check.
 */
function compile(ctor: new () => unknown): Check | undefined {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(ctor, '', false, false);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of metadatas) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  const propertyChecks: Check[] = [];
  for (const [property, list] of byProperty) {
    const conditions: Array<(object: object, value: unknown) => boolean> = [];
    const constraints: Array<(object: object, value: unknown) => boolean> = [];
    let nested = false;
    for (const m of list) {
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
      } else if (m.type === ValidationTypes.NESTED_VALIDATION) {
        nested = true;
      } else if (m.type === ValidationTypes.CUSTOM_VALIDATION && !m.validateIf && m.name === MATCHES && plainPattern(m.constraints[0])) {
        // `@Matches(regexp)`: class-validator's check is a string that `str.match(regexp)` finds, which
        // for a pattern without the g or y flag is the pattern's `test`; asked directly, with no
        // arguments object, no chain of four calls and no match array.
        const pattern = m.constraints[0] as RegExp;
        const matches = (value: unknown) => typeof value === 'string' && pattern.test(value);
        constraints.push((_object, value) => (m.each && isCollection(value) ? items(value).every(matches) : matches(value)));
      } else if (m.type === ValidationTypes.CUSTOM_VALIDATION && !m.validateIf) {
        for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
          if (constraint.async) return undefined;
          const validator = constraint.instance as { validate(value: unknown, args: ValidationArguments): boolean };
          const args = (object: object, value: unknown): ValidationArguments => ({
            targetName: ctor.name,
            property,
            object,
            value,
            constraints: m.constraints,
          });
          constraints.push((object, value) =>
            m.each && isCollection(value)
              ? items(value).every((item) => validator.validate(item, args(object, value)) === true)
              : validator.validate(value, args(object, value)) === true,
          );
        }
      } else {
        return undefined;
      }
    }
    propertyChecks.push((object) => {
      const value = object[property];
      if (!conditions.every((condition) => condition(object, value))) return true;
      if (value === null || value === undefined) return true;
      return constraints.every((constraint) => constraint(object, value)) && (!nested || nestedPasses(value));
    });
  }
  return (object) => propertyChecks.every((check) => check(object));
}
