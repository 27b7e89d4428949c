import { MsrpParser, type MsrpParserHandler, type MsrpParserLimits } from './parser';
import type { MsrpFrame, MsrpFrameHead, MsrpWireError } from './types';

export interface MsrpFrameSink {
  onFrame(frame: MsrpFrame): void;
  onError(error: MsrpWireError): void;
}

/**
 * Parser handler that gathers each frame's body into one Buffer, for endpoints that want
 * whole chunks. Memory per frame is bounded by the parser's maxBodyBytes: set it.
 */
export function frameCollector(sink: MsrpFrameSink): MsrpParserHandler {
  let parts: Buffer[] = [];
  let length = 0;
  return {
    onFrameHead(): void {
      parts = [];
      length = 0;
    },
    onBodyChunk(chunk: Buffer): void {
      parts.push(chunk);
      length += chunk.length;
    },
    onFrameEnd(flag, head: MsrpFrameHead): void {
      // one piece is handed over as is: no copy for a body that arrived in one read
      const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
      parts = [];
      length = 0;
      sink.onFrame({ head, body, flag });
    },
    onError(error): void {
      parts = [];
      length = 0;
      sink.onError(error);
    },
  };
}

/** Parses a whole stream into frames; the end of `input` is the end of the stream. */
export function parseFrames(
  input: Buffer | readonly Buffer[],
  limits: Partial<MsrpParserLimits> = {},
): { frames: MsrpFrame[]; errors: MsrpWireError[] } {
  const frames: MsrpFrame[] = [];
  const errors: MsrpWireError[] = [];
  const parser = new MsrpParser(
    frameCollector({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) }),
    limits,
  );
  for (const chunk of Buffer.isBuffer(input) ? [input] : input) parser.feed(chunk);
  parser.finish();
  return { frames, errors };
}
