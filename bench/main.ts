/**
 * `npm run bench -- [--quick] [options]`: runs the benchmark, prints the table and writes the JSON.
 * See USAGE in bench-options.ts, and "Performance" in the README.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parseBenchArgs, USAGE } from './bench-options.ts';
import { runBench } from './run-bench.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}

let options;
try {
  options = parseBenchArgs(process.argv.slice(2), RESULTS);
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}

// Ctrl-C still stops every server and load process: the exit handlers kill what is left.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const log = (line: string) => process.stderr.write(`${line}\n`);
log(`bench (${options.mode}): ${options.scenarios.join(', ')} on ${options.targets.join(', ')}`);
const report = await runBench(options, log);
process.stdout.write(`\n${report.text}`);
const { machine } = report;
process.stdout.write(
  `\n${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
    `load average ${machine.loadAverage.start} → ${machine.loadAverage.end}; ` +
    `other work took ${(machine.otherLoad * 100).toFixed(0)}% of the CPU during measured runs; ${report.seconds} s\n`,
);
if (options.outDir) {
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, `bench-${options.mode}-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  // Formatted the way the repository's prettier check wants it, so a results folder never fails `npm test`.
  const json = await format(JSON.stringify(report), { ...(await resolveConfig(file)), parser: 'json' });
  writeFileSync(file, json);
  writeFileSync(join(options.outDir, `latest-${options.mode}.json`), json);
  process.stdout.write(`JSON: ${file}\n`);
}
process.exit(0);
