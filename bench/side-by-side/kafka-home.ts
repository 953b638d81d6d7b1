/**
 * Apache Kafka from a distribution's home directory (`../shared/reference-kafka/build.sh` makes one):
 * ZooKeeper and one broker with the distribution's stock configs, only addresses and data dirs set,
 * the broker's heap as kafka-server-start.sh's default (1 GiB), no JMX agent.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';

export interface RunningKafka {
  bootstrap: string;
  pids: number[];
  stop(): Promise<void>;
}

function answers(bootstrap: string): boolean {
  try {
    execFileSync('kcat', ['-L', '-b', bootstrap, '-m', '2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function startScript(home: string, script: string, config: string, data: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(join(home, 'bin', script), [config], {
    env: { ...process.env, LOG_DIR: join(data, 'logs'), KAFKA_JMX_OPTS: ' ', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
}

export async function startKafka(home: string, data: string, port: number): Promise<RunningKafka> {
  const zkPort = port + 100;
  mkdirSync(join(data, 'logs'), { recursive: true });
  const zkConfig = join(data, 'zookeeper.properties');
  writeFileSync(zkConfig, `${readFileSync(join(home, 'config', 'zookeeper.properties'), 'utf8')}\ndataDir=${join(data, 'zookeeper')}\nclientPort=${zkPort}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
  const brokerConfig = join(data, 'server.properties');
  writeFileSync(brokerConfig, `${readFileSync(join(home, 'config', 'server.properties'), 'utf8')}\nlisteners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${join(data, 'kafka-logs')}\nzookeeper.connect=127.0.0.1:${zkPort}\n`);
  const zk = startScript(home, 'zookeeper-server-start.sh', zkConfig, data, {});
  await pause(3000); // ZooKeeper first: the broker gives up when it cannot reach it at start
  const kafka = startScript(home, 'kafka-server-start.sh', brokerConfig, data, { KAFKA_HEAP_OPTS: '-Xmx1G -Xms1G' });
  const bootstrap = `127.0.0.1:${port}`;
  for (let i = 0; !answers(bootstrap); i++) {
    if (i > 300 || kafka.exitCode !== null) throw new Error(`Kafka did not start; see ${join(data, 'logs')}`);
    await pause(200);
  }
  const children = [kafka, zk];
  return {
    bootstrap,
    pids: children.map((c) => c.pid ?? 0),
    async stop() {
      for (const c of children) {
        if (c.exitCode !== null) continue;
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await gone;
      }
    },
  };
}
