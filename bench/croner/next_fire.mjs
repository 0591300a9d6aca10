// croner's next-fire rate on bench/expressions.txt, computed as
// bench/cron_compare.cc does: per expression, N next fires, each from the
// previous one, starting over at 2026-03-07T00:00:00Z every 100 fires (so
// monthly schedules stay within croner's year-3000 limit). Prints one line:
// "croner next_fire_per_sec=...".
import { readFileSync } from "node:fs";
import { Cron } from "croner";

const n = Number(process.argv[3] ?? 20000);
const lines = readFileSync(process.argv[2], "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.split("\t"));

const jobs = lines.map(([expr, zone]) => new Cron(expr, { timezone: zone, paused: true }));
let checksum = 0;
const t0 = process.hrtime.bigint();
for (const job of jobs) {
  const start = new Date("2026-03-07T00:00:00Z");
  let t = start;
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) t = start;
    t = job.nextRun(t);
    if (t === null) throw new Error(`no next fire for ${job.getPattern()}`);
    checksum += t.getTime() / 1000;
  }
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const total = n * jobs.length;
console.log(`croner next_fire_per_sec=${Math.round(total / secs)} total=${total} seconds=${secs.toFixed(3)} checksum=${checksum}`);
