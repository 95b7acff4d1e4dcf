import assert from "node:assert/strict";
import { createSession } from "../../../server/rpc/dispatch.ts";
import { FAKE_METHODS, fakeDispatcher } from "./_fake_methods.ts";
import { createDispatcher } from "../../../server/rpc/dispatch.ts";
import { SILENT_LOGGER } from "../../../server/log.ts";

const req = (method: string, params?: unknown, id: unknown = 1) => ({
  jsonrpc: "2.0",
  method,
  ...(params === undefined ? {} : { params }),
  id,
});

const cases: { name: string; message: unknown; expect: unknown }[] = [
  {
    name: "a by-name request gets its result with the same id",
    message: req("test.echo", { a: 1, b: "x" }, 7),
    expect: { jsonrpc: "2.0", id: 7, result: { a: 1, b: "x" } },
  },
  {
    name: "by-position params map onto the declared order",
    message: req("test.echo", [2, "y"], "s-1"),
    expect: { jsonrpc: "2.0", id: "s-1", result: { a: 2, b: "y" } },
  },
  {
    name: "a null id is echoed as null",
    message: req("test.echo", { a: 3 }, null),
    expect: { jsonrpc: "2.0", id: null, result: { a: 3 } },
  },
  {
    name: "params: null is treated as absent",
    message: req("test.missing", null, 2),
    expect: {
      jsonrpc: "2.0",
      id: 2,
      error: {
        code: -32004,
        message: 'Job "7" does not exist',
        data: { kind: "not_found", pk: 7 },
      },
    },
  },
  {
    name: "an unknown method is -32601",
    message: req("nope.nothing", {}, 3),
    expect: {
      jsonrpc: "2.0",
      id: 3,
      error: {
        code: -32601,
        message: 'Method not found: "nope.nothing"',
        data: { kind: "method_not_found" },
      },
    },
  },
  {
    name: "a wrong jsonrpc version is -32600",
    message: { jsonrpc: "1.0", method: "test.echo", id: 4 },
    expect: {
      jsonrpc: "2.0",
      id: 4,
      error: {
        code: -32600,
        message: 'Invalid request: jsonrpc must be "2.0"',
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "a non-string method is -32600 with id null when there is no id",
    message: { jsonrpc: "2.0", method: 1, params: "bar" },
    expect: {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "Invalid request: method must be a string",
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "an object id is -32600 with id null",
    message: { jsonrpc: "2.0", method: "test.echo", id: { x: 1 } },
    expect: {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "Invalid request: id must be a string, a number or null",
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "scalar params are -32600",
    message: req("test.echo", 5, 5),
    expect: {
      jsonrpc: "2.0",
      id: 5,
      error: {
        code: -32600,
        message: "Invalid request: params must be an object or an array",
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "a non-object message is -32600",
    message: 42,
    expect: {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "Invalid request: expected an object",
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "an empty batch is a single -32600",
    message: [],
    expect: {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "Invalid request: empty batch",
        data: { kind: "invalid_request" },
      },
    },
  },
  {
    name: "a notification gets no response",
    message: { jsonrpc: "2.0", method: "test.echo", params: { a: 1 } },
    expect: undefined,
  },
  {
    name: "a failing notification gets no response",
    message: { jsonrpc: "2.0", method: "test.boom" },
    expect: undefined,
  },
  {
    name: "a notification for an unknown method gets no response",
    message: { jsonrpc: "2.0", method: "x.y" },
    expect: undefined,
  },
  {
    name: "a batch of notifications gets no response at all",
    message: [{ jsonrpc: "2.0", method: "test.echo", params: { a: 1 } }, {
      jsonrpc: "2.0",
      method: "nope",
    }],
    expect: undefined,
  },
];

for (const c of cases) {
  Deno.test(`dispatcher: ${c.name}`, async () => {
    assert.deepEqual(await fakeDispatcher().handle(c.message, createSession()), c.expect);
  });
}

Deno.test("dispatcher: a batch answers each request member, in order, and skips notifications", async () => {
  const batch = [
    req("test.echo", { a: 1 }, 1),
    { jsonrpc: "2.0", method: "test.echo", params: { a: 2 } },
    1,
    req("nope", {}, "x"),
    req("test.echo", [9], 3),
  ];
  const out = await fakeDispatcher().handle(batch, createSession()) as { id: unknown }[];
  assert.deepEqual(out.map((r) => r.id), [1, null, "x", 3]);
  assert.deepEqual(out[0], { jsonrpc: "2.0", id: 1, result: { a: 1 } });
  assert.equal((out[1] as unknown as { error: { code: number } }).error.code, -32600);
  assert.equal((out[2] as unknown as { error: { code: number } }).error.code, -32601);
});

Deno.test("dispatcher: invalid params are -32602 with the schema issues in data", async () => {
  const out = await fakeDispatcher().handle(
    req("test.echo", { a: "x", c: 1 }),
    createSession(),
  ) as {
    error: { code: number; message: string; data: { kind: string; issues: { path: string }[] } };
  };
  assert.equal(out.error.code, -32602);
  assert.equal(out.error.data.kind, "invalid_params");
  assert.match(out.error.message, /^Invalid params for "test.echo": a: /);
  assert.deepEqual(out.error.data.issues.map((i) => i.path).sort(), ["", "a"]);
});

Deno.test("dispatcher: too many positional params are -32602", async () => {
  const out = await fakeDispatcher().handle(req("test.echo", [1, "b", 3]), createSession()) as {
    error: { code: number; message: string };
  };
  assert.equal(out.error.code, -32602);
  assert.match(out.error.message, /3 positional values given, at most 2/);
});

Deno.test("dispatcher: an unexpected error is -32603 with no internals on the wire", async () => {
  const out = await fakeDispatcher().handle(req("test.boom", {}, 11), createSession());
  assert.deepEqual(out, {
    jsonrpc: "2.0",
    id: 11,
    error: {
      code: -32603,
      message: "Internal error",
      data: { kind: "internal_error", request_id: 11 },
    },
  });
  assert.doesNotMatch(JSON.stringify(out), /SELECT|secret|db\.ts/);
});

Deno.test("dispatcher: $/cancelRequest aborts the running request, which answers cancelled", async () => {
  const dispatcher = fakeDispatcher();
  const session = createSession();
  const started = Date.now();
  const running = dispatcher.handle(req("test.slow", { ms: 10_000 }, "job-1"), session);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(
    await dispatcher.handle(
      { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: "job-1" } },
      session,
    ),
    undefined,
  );
  const out = await running as { error: { code: number; data: { kind: string } } };
  assert.equal(out.error.code, -32009);
  assert.equal(out.error.data.kind, "cancelled");
  assert.ok(Date.now() - started < 5000);
  assert.equal(session.inflight.size, 0);
});

Deno.test("dispatcher: $/cancelRequest for an unknown id is ignored", async () => {
  const dispatcher = fakeDispatcher();
  const session = createSession();
  assert.equal(
    await dispatcher.handle(
      { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: 99 } },
      session,
    ),
    undefined,
  );
  assert.deepEqual(await dispatcher.handle(req("test.echo", { a: 1 }), session), {
    jsonrpc: "2.0",
    id: 1,
    result: { a: 1 },
  });
});

Deno.test("dispatcher: requests during shutdown are refused with -32000", async () => {
  const accepting = { value: false };
  const out = await fakeDispatcher(accepting).handle(
    req("test.echo", { a: 1 }),
    createSession(),
  ) as { error: { code: number } };
  assert.equal(out.error.code, -32000);
});

Deno.test("createDispatcher() refuses a registry with a duplicate name", () => {
  assert.throws(
    () =>
      createDispatcher({
        methods: [...FAKE_METHODS, FAKE_METHODS[0]],
        makeContext: (signal, session) => ({ signal, session }),
        log: SILENT_LOGGER,
        isAccepting: () => true,
      }),
    /"test.echo" is declared twice/,
  );
});

Deno.test("createDispatcher() loads the rest of the methods once, on the first name it does not know", async () => {
  const [echo] = FAKE_METHODS;
  let loads = 0;
  let failNext = true;
  const dispatcher = createDispatcher({
    methods: [echo],
    loadMethods: () => {
      loads++;
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error("import failed"));
      }
      return Promise.resolve(FAKE_METHODS); // repeats echo: skipped, not a duplicate
    },
    makeContext: (signal, session) => ({ signal, session }),
    log: SILENT_LOGGER,
    isAccepting: () => true,
  });
  const call = (method: string, params: unknown) =>
    dispatcher.handle(req(method, params), createSession()) as Promise<
      { result?: unknown; error?: { code: number } }
    >;
  assert.deepEqual((await call("test.echo", { a: 1 })).result, { a: 1 });
  assert.equal(loads, 0, "a method given up front needs no load");
  assert.equal((await call("test.slow", { ms: 1 })).error?.code, -32603, "the failed load");
  const answers = await Promise.all([call("test.slow", { ms: 1 }), call("test.nothing", {})]);
  assert.deepEqual(answers[0]!.result, { waited: 1 });
  assert.equal(answers[1]!.error?.code, -32601);
  assert.equal(loads, 2, "a failed load is tried again; concurrent requests share one");
  await dispatcher.loadAll();
  assert.equal(loads, 2);
});

Deno.test("createDispatcher() refuses a loaded method whose name is taken", async () => {
  const [echo] = FAKE_METHODS;
  const dispatcher = createDispatcher({
    methods: [echo],
    loadMethods: () => Promise.resolve([{ ...echo }]),
    makeContext: (signal, session) => ({ signal, session }),
    log: SILENT_LOGGER,
    isAccepting: () => true,
  });
  await assert.rejects(dispatcher.loadAll(), /"test.echo" is declared twice/);
});
