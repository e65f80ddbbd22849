/** Target names and the copy-object options a routes file may give. */
import { renderTargetName } from '../../../functions/act/copy-object/target-name';
import { copyObjectOptions } from '../../../functions/act/copy-object/options';

const source = { bucket: 'b', name: 'dir/sub/file.txt', generation: 1700000000000001n };

test('placeholders render from the source object', () => {
  expect(renderTargetName('', '{name}', source)).toBe('dir/sub/file.txt');
  expect(renderTargetName('x/', '{bucket}/{dirname}/{generation}/{basename}', source)).toBe('x/b/dir/sub/1700000000000001/file.txt');
  expect(renderTargetName('', '{dirname}|{basename}', { ...source, name: 'top.txt' })).toBe('|top.txt');
});

test('an empty or over-long result is no object name', () => {
  expect(renderTargetName('', '{dirname}', { ...source, name: 'top.txt' })).toBeUndefined();
  expect(renderTargetName('p'.repeat(1020), '{name}', source)).toBeUndefined();
});

test('options: defaults, unknown placeholders and gs:// buckets refused', () => {
  expect(copyObjectOptions.parse({ bucket: 'dst' })).toEqual({ bucket: 'dst', prefix: '', name: '{name}', deleteWithSource: false });
  expect(copyObjectOptions.safeParse({ bucket: 'dst', name: '{nam}' }).success).toBe(false);
  expect(copyObjectOptions.safeParse({ bucket: 'gs://dst' }).success).toBe(false);
  expect(copyObjectOptions.safeParse({ bucket: 'dst', delete: true }).success).toBe(false);
});
