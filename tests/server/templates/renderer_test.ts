import assert from "node:assert/strict";
import { TemplateError } from "../../../server/errors.ts";
import { TemplateRenderer } from "../../../server/templates/renderer.ts";

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof TemplateError, `expected a TemplateError, got ${error}`);
  return error;
}

Deno.test("the renderer renders plain text: no HTML escaping, deck filters, templates by name", async () => {
  await using renderer = new TemplateRenderer();
  const text = await renderer.render(
    {
      main: "{{ t }} {{ e | sci: 3 }} {{ x | fixed: 4 }}|{{ n | pad: 5 }}|{% render 'tail' %}",
      tail: "END",
    },
    { name: "main", context: { t: "A & B <c>", e: 0.000012346, x: -0.00001, n: 12 } },
  );
  assert.equal(text, "A & B <c> 1.235E-05 0.0000|   12|END");
});

Deno.test("hostile templates fail fast with a template error, and the renderer keeps serving", async (t) => {
  await using renderer = new TemplateRenderer();
  const hostile: Record<string, [string, RegExp]> = {
    "a file outside the set": ["{% render '/etc/passwd' %}", /passwd/],
    "the prototype chain": ["{{ x.constructor.name }}", /undefined variable/],
    "an undefined variable": ["{{ nothing }}", /undefined variable: nothing/],
    "an unknown filter": ["{{ 1 | system }}", /undefined filter: system/],
    "a huge range": ["{% for i in (1..100000000) %}{{ i }}{% endfor %}", /limit/],
    "an empty loop over a huge range": ["{% for i in (1..100000000) %}{% endfor %}", /limit/],
    "doubling a string": [
      "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}",
      /limit|over/,
    ],
    "recursion through render": ["{% render 'main' %}", /limit|stack|call/i],
    "a non-number to a deck filter": ["{{ 'abc' | fixed: 2 }}", /expected a finite number/],
  };
  for (const [what, [body, message]] of Object.entries(hostile)) {
    await t.step(what, async () => {
      const error = await failure(
        renderer.render({ main: body }, { name: "main", context: { x: {} } }),
      );
      assert.match(error.message, message);
    });
  }
  assert.equal(await renderer.render({ main: "ok" }, { name: "main", context: {} }), "ok");
});

Deno.test("a render past the deadline stops the worker and the next render starts a fresh one", async () => {
  await using renderer = new TemplateRenderer({ deadlineMs: 300 });
  // A synchronous filter cannot be interrupted from inside: only the worker's termination stops it.
  const slow = renderer.render(
    { main: "{% for i in (1..200000) %}{{ 'x' | replace: 'x', 'y' }}{% endfor %}" },
    { name: "main", context: {} },
  );
  const error = await failure(slow);
  assert.match(error.message, /did not finish within 300 ms/);
  assert.equal(
    await renderer.render({ main: "{{ 1 | plus: 1 }}" }, { name: "main", context: {} }),
    "2",
  );
});

Deno.test("parse() names each body that does not parse", async () => {
  await using renderer = new TemplateRenderer();
  const problems = await renderer.parse({
    good: "{{ a }}",
    bad: "{% if a %}no end",
    worse: "{% endfor %}",
  });
  assert.equal(problems.good, null);
  assert.match(problems.bad!, /not closed|endif/i);
  assert.ok(problems.worse);
});

Deno.test("deno compile is told to carry the render worker the renderer starts", async () => {
  const { compileArgs, WORKER_MODULES } = await import("../../../tools/compile.ts");
  assert.deepEqual(WORKER_MODULES, ["server/templates/render_worker.ts"]);
  const args = compileArgs({ target: undefined, output: "dist/x" });
  assert.equal(args[args.indexOf(WORKER_MODULES[0]!) - 1], "--include");
  await Deno.stat(new URL(`../../../${WORKER_MODULES[0]}`, import.meta.url));
});
