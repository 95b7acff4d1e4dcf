import assert from "node:assert/strict";
import { join } from "node:path";
import { listenUnix } from "../../server/socket.ts";

Deno.test("listenUnix() binds under umask 177, so no other user can connect before the chmod", async () => {
  const dir = await Deno.makeTempDir();
  const listen = Deno.listen;
  let umaskAtBind: number | undefined;
  let modeAtBind: number | undefined;
  const previous = Deno.umask(0o000); // The user's umask at its loosest.
  try {
    // Look at the socket the instant it exists, before listenUnix gets to its chmod.
    Object.defineProperty(Deno, "listen", {
      configurable: true,
      writable: true,
      value: (options: Deno.UnixListenOptions & { transport: "unix" }) => {
        const listener = listen(options);
        umaskAtBind = Deno.umask(Deno.umask());
        modeAtBind = Deno.statSync(options.path).mode! & 0o777;
        return listener;
      },
    });
    const path = join(dir, "d.sock");
    const listener = await listenUnix(path);
    listener.close();
    assert.equal(umaskAtBind, 0o177);
    assert.equal(modeAtBind, 0o600, "the socket was 0600 from its first instant");
    assert.equal(Deno.umask(), 0o000, "the user's umask is given back");
  } finally {
    Object.defineProperty(Deno, "listen", { configurable: true, writable: true, value: listen });
    Deno.umask(previous);
    await Deno.remove(dir, { recursive: true });
  }
});
