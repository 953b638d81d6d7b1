/**
 * Apache Kafka from a distribution's home directory (`../shared/reference-kafka/build.sh` makes one):
 * ZooKeeper and one or more brokers with the distribution's stock configs, only broker ids,
 * addresses and data dirs set, each broker's heap as kafka-server-start.sh's default (1 GiB),
 * no JMX agent.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';

export interface RunningKafka {
  bootstrap: string;
  /** The brokers' process ids first (in the order of their ports), ZooKeeper's last. */
  pids: number[];
  stop(): Promise<void>;
}

/** True once the broker at `address` answers Metadata listing `brokers` brokers. */
function answers(address: string, brokers: number): boolean {
  try {
    const listing = execFileSync('kcat', ['-L', '-b', address, '-m', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /(\d+) brokers:/.exec(listing);
    return m !== null && Number(m[1]) === brokers;
  } catch {
    return false;
  }
}

function startScript(home: string, script: string, config: string, logDir: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(join(home, 'bin', script), [config], {
    env: { ...process.env, LOG_DIR: logDir, KAFKA_JMX_OPTS: ' ', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
}

/** One broker (the layout side-by-side.ts has always used). */
export function startKafka(home: string, data: string, port: number): Promise<RunningKafka> {
  return startKafkaBrokers(home, data, [port]);
}

/**
 * ZooKeeper on the first port + 100, then one broker per port (broker.id 0, 1, …), each with its
 * own log.dirs and LOG_DIR under `data`. Resolves once every broker's Metadata lists them all.
 */
export async function startKafkaBrokers(home: string, data: string, ports: number[]): Promise<RunningKafka> {
  const zkPort = ports[0] + 100;
  mkdirSync(join(data, 'logs'), { recursive: true });
  const zkConfig = join(data, 'zookeeper.properties');
  writeFileSync(zkConfig, `${readFileSync(join(home, 'config', 'zookeeper.properties'), 'utf8')}\ndataDir=${join(data, 'zookeeper')}\nclientPort=${zkPort}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
  const zk = startScript(home, 'zookeeper-server-start.sh', zkConfig, join(data, 'logs'), {});
  await pause(3000); // ZooKeeper first: a broker gives up when it cannot reach it at start
  const stockBroker = readFileSync(join(home, 'config', 'server.properties'), 'utf8');
  const brokers = ports.map((port, id) => {
    // One broker keeps the paths it always had; several get a directory each.
    const dir = ports.length === 1 ? data : join(data, `broker-${id}`);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const config = join(dir, 'server.properties');
    writeFileSync(config, `${stockBroker}\nbroker.id=${id}\nlisteners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${join(dir, 'kafka-logs')}\nzookeeper.connect=127.0.0.1:${zkPort}\n`);
    return startScript(home, 'kafka-server-start.sh', config, join(dir, 'logs'), { KAFKA_HEAP_OPTS: '-Xmx1G -Xms1G' });
  });
  const children = [...brokers, zk];
  const stop = async (): Promise<void> => {
    for (const c of children) {
      if (c.exitCode !== null) continue;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    }
  };
  for (const port of ports) {
    for (let i = 0; !answers(`127.0.0.1:${port}`, ports.length); i++) {
      if (i > 300 || brokers.some((b) => b.exitCode !== null)) {
        await stop();
        throw new Error(`Kafka did not start; see the logs under ${data}`);
      }
      await pause(200);
    }
  }
  return { bootstrap: ports.map((p) => `127.0.0.1:${p}`).join(','), pids: children.map((c) => c.pid ?? 0), stop };
}
