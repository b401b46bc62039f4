import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { readyPort, spawnServer } from './startNatsServer';

export interface NatsClusterOptions {
  /** Number of servers. Default 3. */
  readonly size?: number;
  /** Cluster name. Default 'interlend-test'. */
  readonly name?: string;
  /** How long to wait for JetStream to elect its meta leader. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface NatsClusterNode {
  readonly serverName: string;
  readonly url: string;
  readonly storeDir: string;
  /** SIGKILL (a crash); the store directory is kept. */
  kill(): Promise<void>;
  /** SIGTERM (lame duck is not used). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and store directory. */
  restart(): Promise<void>;
  readonly running: boolean;
}

export interface NatsClusterHandle {
  /** Client URLs of every node (give them all to `connectNats`). */
  readonly urls: string[];
  readonly nodes: readonly NatsClusterNode[];
  /** Stops every node and removes the temporary directories. */
  stop(): Promise<void>;
}

/**
 * Starts a JetStream cluster of real nats-servers on loopback: distinct `server_name`s, one
 * `cluster.name`, own store directories, distinct client and route ports, explicit `routes`.
 * Resolves when JetStream answers (a meta leader was elected).
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  const name = options.name ?? 'interlend-test';
  const root = mkdtempSync(join(tmpdir(), 'interlend-nats-cluster-'));
  const clientPorts = await freePorts(size);
  const routePorts = await freePorts(size);
  const routes = routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ');
  const nodes = clientPorts.map((clientPort, i) => {
    const serverName = `n${i + 1}`;
    const storeDir = join(root, serverName);
    mkdirSync(storeDir, { recursive: true });
    const configFile = join(root, `${serverName}.conf`);
    writeFileSync(
      configFile,
      [
        `server_name: "${serverName}"`,
        `listen: "127.0.0.1:${clientPort}"`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        `cluster { name: "${name}", listen: "127.0.0.1:${routePorts[i]}", routes: [${routes}] }`,
      ].join('\n') + '\n',
    );
    return new Node(serverName, `nats://127.0.0.1:${clientPort}`, storeDir, configFile);
  });
  try {
    await Promise.all(nodes.map((n) => n.restart()));
    await waitForJetStream(nodes.map((n) => n.url), options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    urls: nodes.map((n) => n.url),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

class Node implements NatsClusterNode {
  private proc: ChildProcess | undefined;
  constructor(
    readonly serverName: string,
    readonly url: string,
    readonly storeDir: string,
    private readonly configFile: string,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async restart(): Promise<void> {
    if (this.running) return;
    const proc = spawnServer(this.configFile);
    this.proc = proc;
    await readyPort(proc, 15_000);
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      proc.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      proc.kill(signal);
    });
  }
}

async function waitForJetStream(urls: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const nc = await connect({ servers: urls, reconnect: true });
  try {
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > until) throw new Error(`the JetStream cluster did not become ready within ${timeoutMs} ms: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}

/** Loopback ports free right now (bound and released; a race with other programs is possible but rare). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
