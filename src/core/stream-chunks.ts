/**
 * A ReadableStream's chunks as an async iterable. Not every browser makes ReadableStream async-iterable yet
 * (Safari), so it is read through its reader; stopping early (a `break`, an error) releases the stream.
 */
export async function* streamChunks<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
