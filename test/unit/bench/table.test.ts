import { fmt, fmtRatio, fmtSize, formatTable } from '../../../scripts/bench/table';

describe('bench table formatting', () => {
  test('columns are as wide as their widest cell, numbers right-aligned, text left-aligned', () => {
    const out = formatTable(
      [{ title: 'relay', align: 'left' }, { title: 'msg/s' }],
      [
        ['pipe', '12,345'],
        ['kamailio', '7'],
      ],
    );
    expect(out.split('\n')).toEqual(['relay      msg/s', '--------  ------', 'pipe      12,345', 'kamailio       7']);
  });

  test('short rows are padded and an empty row prints as an empty line', () => {
    const out = formatTable([{ title: 'a' }, { title: 'b' }], [['1'], []]);
    expect(out.split('\n')).toEqual(['a  b', '-  -', '1', '']);
  });

  test('numbers keep about three significant digits', () => {
    expect(fmt(123456.7)).toBe('123,457');
    expect(fmt(123.4)).toBe('123');
    expect(fmt(12.34)).toBe('12.3');
    expect(fmt(1.234)).toBe('1.23');
    expect(fmt(0.01234)).toBe('0.012');
    expect(fmt(0)).toBe('0');
    expect(fmt(Number.NaN)).toBe('-');
    expect(fmt(undefined)).toBe('-');
  });

  test('ratios and sizes', () => {
    expect(fmtRatio(0.5)).toBe('0.50x');
    expect(fmtRatio(Number.NaN)).toBe('-');
    expect(fmtSize(100)).toBe('100 B');
    expect(fmtSize(16 * 1024)).toBe('16 KiB');
    expect(fmtSize(1024 * 1024)).toBe('1 MiB');
    expect(fmtSize(1500)).toBe('1500 B');
  });
});
