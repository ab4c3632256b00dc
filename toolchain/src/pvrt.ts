#!/usr/bin/env node
import { main } from './cli.js';

// A reader that stops early (`pvrt run IMAGE | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  console: (bytes) => process.stdout.write(bytes),
  input: (feed) => {
    const onData = (chunk: Buffer) => feed(new Uint8Array(chunk));
    process.stdin.on('data', onData);
    return () => {
      process.stdin.off('data', onData);
      process.stdin.pause();
      process.stdin.unref?.();
    };
  },
});
