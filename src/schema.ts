// TypeBox checks compiled once (docs/architecture.md#style), on first use rather than at module
// load. Compiling walks each schema through TypeBox's type guards; doing all of it while the
// server starts made those guards hot enough for the optimizing JIT, whose compiler code and
// output then stayed resident in an idle server (its memory at start: docs/bench.md#start-up). A
// protocol that is never used never pays for its checks.
import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { ValueErrorIterator } from "@sinclair/typebox/errors";

/** The part of TypeCheck the protocols use. */
export interface Check<T extends TSchema> {
  Check(value: unknown): value is Static<T>;
  Errors(value: unknown): ValueErrorIterator;
}

export function compileOnUse<T extends TSchema>(schema: T): Check<T> {
  let compiled: TypeCheck<T> | null = null;
  const get = () => (compiled ??= TypeCompiler.Compile(schema));
  return {
    Check: (value): value is Static<T> => get().Check(value),
    Errors: (value) => get().Errors(value),
  };
}
