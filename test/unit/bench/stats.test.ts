import { median, medianOf, percentile, ratio } from '../../../scripts/bench/stats';

describe('bench statistics', () => {
  test('percentile uses the nearest rank', () => {
    const v = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  test('percentile does not reorder its input', () => {
    const v = [3, 1, 2];
    percentile(v, 50);
    expect(v).toEqual([3, 1, 2]);
  });

  test('median of odd and even counts, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  test('medianOf takes the median of each field separately', () => {
    const runs = [
      { a: 1, b: 30 },
      { a: 3, b: 10 },
      { a: 2, b: 20 },
    ];
    expect(medianOf(runs, ['a', 'b'])).toEqual({ a: 2, b: 20 });
  });

  test('ratio is NaN when a side is missing or the divisor is 0', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(undefined, 2)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});
