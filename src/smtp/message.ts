import type { Readable } from 'node:stream';

export type ReadMessage = { raw: Buffer; tooLarge: boolean; bareLineEnding: boolean };

const CR = 13;
const LF = 10;

/**
 * Reads a DATA stream to its end (smtp-server needs it consumed before the reply), noting a size
 * overrun and any bare CR or bare LF, including across chunk boundaries.
 */
export async function readMessage(stream: Readable & { sizeExceeded?: boolean }): Promise<ReadMessage> {
  const chunks: Buffer[] = [];
  let previous = -1;
  let bare = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!bare) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === LF && previous !== CR) bare = true;
        if (previous === CR && byte !== LF) bare = true;
        previous = byte;
        if (bare) break;
      }
    }
    if (!stream.sizeExceeded) chunks.push(chunk);
  }
  // A message ending in a lone CR (before the final CRLF.CRLF) is bare too.
  if (previous === CR) bare = true;
  return { raw: Buffer.concat(chunks), tooLarge: Boolean(stream.sizeExceeded), bareLineEnding: bare };
}
