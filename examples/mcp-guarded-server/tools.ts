/** What both processes know: the tools as Mandate sees them, and the roles. */
import { defineTool, recipientsInspector, type Scope } from "@mandate/core";

export const CATALOG: Readonly<Record<string, string>> = {
  "customers.name": "customer.name",
  "customers.email": "customer.email",
  "employees.name": "employee.name",
  "employees.salary": "employee.salary",
};

export interface LookupArgs {
  table: string;
  columns: string[];
}

export const lookupTool = defineTool<LookupArgs>({
  name: "lookup",
  action: "db.read",
  description: "Read columns of a CRM table",
  inspect: ({ table, columns }) => [
    {
      action: "db.read",
      resource: `crm/${table}`,
      data: columns.map((c) => CATALOG[`${table}.${c}`] ?? `unclassified.${table}.${c}`),
    },
  ],
});

export const emailTool = defineTool<{ to: string; subject: string }>({
  name: "send_email",
  action: "email.send",
  description: "Send an email",
  inspect: recipientsInspector({ fields: ["to"] }),
});

export const ROLES: Readonly<Record<string, Scope>> = {
  analyst: [
    { action: "db.read", resource: "crm/**", data: ["customer.**", "employee.**"] },
    { action: "email.send", resource: "mailto:**" },
  ],
};

export const ISSUER = "https://agents.example.com";
