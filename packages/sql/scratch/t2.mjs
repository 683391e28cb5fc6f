import pkg from "node-sql-parser";

const { Parser } = pkg;
const p = new Parser();
const show = (sql, db) => {
  try {
    console.log(db, sql, "\n", JSON.stringify(p.astify(sql, { database: db })));
  } catch (e) {
    console.log("ERR", db, sql, e.message.slice(0, 200));
  }
};
show(
  "SELECT e.name, `salary` FROM hr.employees e JOIN (SELECT id FROM x) s ON s.id = e.id WHERE e.id IN (SELECT 1) ORDER BY 1",
  "mysql",
);
show(
  "WITH RECURSIVE c AS (SELECT 1 AS n UNION ALL SELECT n+1 FROM c) SELECT * FROM c, t1 AS q; DELETE FROM t WHERE a=1",
  "mysql",
);
show("INSERT INTO t (a,b) SELECT x, y FROM s; UPDATE t SET a = 1 WHERE b = 2", "sqlite");
show("SELECT t.* , count(*) FROM `proj.ds.tbl` t GROUP BY a", "bigquery");
show("SELECT load_file('/etc/passwd') INTO OUTFILE '/tmp/x'", "mysql");
