import { loadModule, parseSync } from "libpg-query";

await loadModule();
const q = `WITH recent AS (SELECT o.customer_id, o.total FROM orders o WHERE o.created_at > now() - interval '7 days')
SELECT c.name, r.total, p.title FROM customers c JOIN recent r ON r.customer_id = c.id JOIN products p ON p.id = 1 WHERE c.id > 5;`;
console.log(JSON.stringify(parseSync(q), null, 1).slice(0, 3000));
console.log(
  JSON.stringify(
    parseSync(
      `SELECT U&"sal\\0061ry", "Employees".x FROM hr."Employees"; COPY t TO PROGRAM 'ls'; DO $$ begin end $$`,
    ),
  ),
);
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  for (let i = 0; i < 20000; i++) parseSync(q.replace("5", String(i)));
  console.log(((performance.now() - t0) / 20000) * 1000, "us");
}
try {
  parseSync("SELEC x");
} catch (e) {
  console.log(e.message);
}
