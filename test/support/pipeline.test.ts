/** The runner: stages run in the order given, each sees what the later ones answered, and the last one must answer. */
import { pipeline, type Stage } from '../../functions/support/pipeline';

type Trace = string[];

const around =
  (name: string): Stage<Trace, string> =>
  async (trace, next) => {
    trace.push(`${name} in`);
    const out = await next();
    trace.push(`${name} out`);
    return `${name}(${out})`;
  };

describe('pipeline', () => {
  it('runs the stages in order, outward again with their outcomes', async () => {
    const run = pipeline<Trace, string>([around('a'), around('b'), async (trace) => (trace.push('end'), 'done')]);
    const trace: Trace = [];
    await expect(run(trace)).resolves.toBe('a(b(done))');
    expect(trace).toEqual(['a in', 'b in', 'end', 'b out', 'a out']);
  });

  it('a stage that answers itself ends the request there', async () => {
    const later = jest.fn(async () => 'later');
    const run = pipeline<Trace, string>([around('a'), async () => 'stopped', later]);
    await expect(run([])).resolves.toBe('a(stopped)');
    expect(later).not.toHaveBeenCalled();
  });

  it('a last stage that passes the request on is a bug: the run rejects', async () => {
    await expect(pipeline<Trace, string>([around('a')])([])).rejects.toThrow('passed the request on');
  });

  it('keeps nothing between requests', async () => {
    const run = pipeline<Trace, string>([around('a'), async (trace) => String(trace.length)]);
    const [x, y] = [[], ['already']] as Trace[];
    await expect(Promise.all([run(x), run(y)])).resolves.toEqual(['a(1)', 'a(2)']);
  });
});
