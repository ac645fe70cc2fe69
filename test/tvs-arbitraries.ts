import fc from 'fast-check';
import type { TvsMessage } from '../tvs-sim/index.js';

/** Any message the TVS format can carry, with known and unknown tags in any order. */
export const tvsMessageArb: fc.Arbitrary<TvsMessage> = fc.record({
  command: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4), fc.integer({ min: 0, max: 255 })),
  reserved: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
  sessionId: fc.integer({ min: 0, max: 0xffffffff }),
  elements: fc.array(
    fc.record({ tag: fc.oneof(fc.constantFrom(1, 2, 3, 7, 8, 9), fc.integer({ min: 0, max: 255 })), value: fc.uint8Array({ maxLength: 400 }) }),
    { maxLength: 8 },
  ),
});
