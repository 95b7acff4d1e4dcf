/**
 * Hand-written typings for ssh2's API, as far as the pool uses it (the package ships no types).
 *
 * @module
 */

type Listener = (...args: never[]) => void;
/** The subset of Node's EventEmitter that ssh2 objects are used through. */
export interface Emitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}
type Callback = (error: Error | null | undefined) => void;
/** An SSH channel: a duplex stream with stderr, as ssh2's Channel. */
export interface Channel extends Emitter {
  stderr: Emitter;
  end(data?: string): void;
  close(): void;
  signal(name: string): void;
}
/** The algorithms ssh2 reports in its "handshake" event. */
export interface Negotiated {
  kex: string;
  serverHostKey: string;
  cs: { cipher: string; mac: string };
}
/** One entry of ssh2's `authHandler` list. */
export interface AuthMethod {
  type: "publickey" | "agent";
  username: string;
  key?: string;
  agent?: string;
}
/** The options of `Client.connect()` the pool sets. */
export interface ClientConfig {
  host: string;
  port: number;
  username: string;
  readyTimeout: number;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  hostVerifier: (key: Uint8Array) => boolean;
  authHandler: AuthMethod[];
  sock?: Channel;
  algorithms: {
    kex: { remove: string[]; prepend: string[]; append: string[] };
    serverHostKey?: { remove: string[]; prepend: string[]; append: string[] };
  };
}
/** Options of SFTP fastPut/fastGet. */
export interface SftpTransfer {
  concurrency: number;
  chunkSize: number;
  step?: (done: number, chunk: number, total: number) => void;
  /** The mode of the file the transfer creates. */
  mode?: number;
}
/** One directory entry from SFTP readdir. */
export interface SftpEntry {
  filename: string;
  attrs: { size: number; mode: number };
}
/** An SFTP session, as ssh2's SFTP wrapper. */
export interface Sftp {
  fastPut(local: string, remote: string, options: SftpTransfer, callback: Callback): void;
  fastGet(remote: string, local: string, options: SftpTransfer, callback: Callback): void;
  writeFile(path: string, data: string, callback: Callback): void;
  readdir(path: string, callback: (error: Error | undefined, list: SftpEntry[]) => void): void;
  rename(from: string, to: string, callback: Callback): void;
  ext_openssh_rename(from: string, to: string, callback: Callback): void;
  unlink(path: string, callback: Callback): void;
  end(): void;
}
/** An ssh2 Client connection. */
export interface Client extends Emitter {
  connect(config: ClientConfig): void;
  setNoDelay(noDelay: boolean): void;
  end(): void;
  destroy(): void;
  exec(command: string, callback: (error: Error | undefined, stream: Channel) => void): void;
  sftp(callback: (error: Error | undefined, sftp: Sftp) => void): void;
  forwardOut(
    srcIP: string,
    srcPort: number,
    dstIP: string,
    dstPort: number,
    callback: (error: Error | undefined, stream: Channel) => void,
  ): void;
}
