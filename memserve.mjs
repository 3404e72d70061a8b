import v8 from 'node:v8';
for (const f of (process.env.XFLAGS ?? '').split(' ').filter(Boolean)) v8.setFlagsFromString(f);
import { readFileSync } from 'node:fs';
const { loadConfig } = await import('./dist/config/config.js');
const { start } = await import('./dist/main.js');
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
await start(config, ['api'], (l) => console.log(l));
let peak = 0;
process.on('SIGUSR2', () => { globalThis.gc(); console.log('gc'); });
setInterval(() => {
  const m = process.memoryUsage();
  const anon = Number(readFileSync('/proc/self/status', 'utf8').match(/RssAnon:\s+(\d+)/)[1]) / 1024;
  if (m.rss > peak) peak = m.rss;
  console.log(`rss ${(m.rss / 1e6).toFixed(0)} peak ${(peak / 1e6).toFixed(0)} heapTotal ${(m.heapTotal / 1e6).toFixed(0)} heapUsed ${(m.heapUsed / 1e6).toFixed(0)} ext ${(m.external / 1e6).toFixed(0)} ab ${(m.arrayBuffers / 1e6).toFixed(0)} anon ${anon.toFixed(0)}`);
}, 1000).unref();
