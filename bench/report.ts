// `make bench` ends here: one table of every benchmark's ratios against their goals, and the
// figures without a goal, from build/bench/*.json as the benchmarks of this run left them.
import { formatValue, markdownTable, met, readResults } from './results.ts';

const results = readResults();
if (results.length === 0) {
  console.log('no benchmark results in build/bench: run make bench (or one bench/*.ts) first');
  process.exit(1);
}

const ratioRows = results.flatMap((result) =>
  result.ratios.map((ratio) => [
    result.benchmark,
    ratio.name,
    formatValue(ratio.value, ratio.unit),
    `${ratio.better === 'higher' ? '≥' : '≤'} ${formatValue(ratio.target, ratio.unit)}`,
    met(ratio) ? 'met' : `**missed**${ratio.note ? ` (${ratio.note})` : ''}`,
  ]),
);
const figureRows = results.flatMap((result) => result.figures.map((figure) => [result.benchmark, figure.name, formatValue(figure.value, figure.unit)]));

console.log(`\n## Lifeboat benchmarks\n`);
for (const result of results) console.log(`- ${result.benchmark}: ${result.finishedAt}, load average ${result.loadAverageAtStart.toFixed(1)} at start, ${result.machine}`);
console.log(`\n${markdownTable(['benchmark', 'ratio', 'measured', 'goal', ''], ratioRows)}`);
if (figureRows.length > 0) console.log(`\n${markdownTable(['benchmark', 'figure', 'value'], figureRows)}`);
const missed = results.flatMap((result) => result.ratios).filter((ratio) => !met(ratio)).length;
console.log(`\n${ratioRows.length - missed} of ${ratioRows.length} goals met`);
