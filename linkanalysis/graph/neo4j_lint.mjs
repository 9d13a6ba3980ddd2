// Lints every Neo4j-dialect statement (JSON on stdin, from linkanalysis.graph.statements)
// with Neo4j's own Cypher front end. Errors fail; warnings are printed, and each must be
// listed in ALLOWED_WARNINGS with its reason.
import { lintCypherQuery } from "@neo4j-cypher/language-support";

const ALLOWED_WARNINGS = [];
const input = await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (c) => (data += c));
  process.stdin.on("end", () => resolve(data));
});
let errors = 0, warnings = 0;
for (const { name, query, parameters } of JSON.parse(input)) {
  const params = Object.fromEntries(parameters.map((p) => [p, []]));
  const { diagnostics } = lintCypherQuery(query, { parameters: params });
  for (const d of diagnostics) {
    const allowed = ALLOWED_WARNINGS.some((w) => w.statement === name && d.message.includes(w.message));
    if (d.severity === 1) errors++;
    else if (!allowed) warnings++;
    console.log(`${d.severity === 1 ? "ERROR" : "warning"} ${name}: ${d.message}`);
  }
}
const count = JSON.parse(input).length;
console.log(`Neo4j lint: ${count} statements, ${errors} errors, ${warnings} unexplained warnings`);
process.exit(errors || warnings ? 1 : 0);
