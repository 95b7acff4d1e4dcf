/**
 * Loads `@spglib/moyo-wasm` once, on first use. Private to `server/structures/`.
 *
 * The package is wasm-pack `--target web` output: its glue wants the `.wasm` either fetched from
 * a URL next to it (a file read at run time, which a `deno compile` binary must not need) or
 * handed over as bytes or a compiled `WebAssembly.Module`. We hand it the module from a source
 * phase import, `import.source(...)`: Deno resolves the `.wasm` as part of the module graph (so
 * `deno info` lists it and `deno compile` embeds it with the npm package), compiles it, and gives
 * back a `WebAssembly.Module` without linking or running it. Deno 2.9 needs no unstable flag and no
 * permission for this, unlike `with { type: "bytes" }` (which needs `--unstable-raw-imports`). An
 * ordinary Wasm import cannot be used: the module imports its glue as `./moyo_wasm_bg.js`, a file
 * the web build does not ship.
 *
 * Both imports are dynamic, so importing this file loads and starts nothing.
 *
 * @module
 */

/** The moyo-wasm API, ready to call. */
export type Moyo = typeof import("@spglib/moyo-wasm");

let loading: Promise<Moyo> | undefined;

/** Returns moyo-wasm, compiling and instantiating the Wasm on the first call only. */
export function loadMoyo(): Promise<Moyo> {
  loading ??= instantiate().catch((error: unknown) => {
    // Forget the failure so that a later call tries again instead of repeating it forever.
    loading = undefined;
    throw new Error("Cannot load the moyo symmetry library", { cause: error });
  });
  return loading;
}

async function instantiate(): Promise<Moyo> {
  const [moyo, module] = await Promise.all([
    import("@spglib/moyo-wasm"),
    // @ts-expect-error: TypeScript 6 does not know source phase imports (`import.source`) yet
    import.source("@spglib/moyo-wasm/moyo_wasm_bg.wasm") as Promise<WebAssembly.Module>,
  ]);
  moyo.initSync({ module });
  return moyo;
}
