import { type CatalogInput, createCatalog, type DataCatalog } from "../src/index.js";

/** The seed scenario's schema and classes, shared by the corpus and the scenario tests. */
export const SEED_CATALOG: CatalogInput = {
  tables: {
    "public.customers": {
      columns: { id: null, name: "customer.name", email: "customer.email", phone: "customer.phone" },
    },
    "public.employees": {
      columns: {
        id: null,
        name: "employee.name",
        salary: "employee.salary",
        ssn: "employee.ssn",
        manager_id: null,
      },
    },
    "public.orders": {
      columns: {
        id: null,
        customer_id: null,
        total: "order.amount",
        status: "order.status",
        created_at: null,
        note: null,
      },
    },
    "public.products": { columns: { id: null, title: null, price: "product.price" } },
    "public.order_items": { columns: ["order_id", "product_id", "qty"] },
    'public."Staff"': { columns: { id: null, '"Name"': "employee.name", '"Salary"': "employee.salary" } },
    "hr.payroll": { columns: ["employee_id", "bonus", "iban"] },
  },
  views: {
    "public.staff_directory": {
      columns: { name: "public.employees.name", boss: ["public.employees.name"] },
    },
    "public.payroll_summary": { columns: { total: "public.employees.salary", headcount: [] } },
  },
  classes: {
    "*.*.ssn": "pii.ssn",
    "hr.payroll.*": "employee.pay",
    "hr.payroll.iban": "finance.iban",
  },
  functions: { "public.customer_label": ["customer.name"] },
};

export function seedCatalog(): DataCatalog {
  return createCatalog(SEED_CATALOG);
}
