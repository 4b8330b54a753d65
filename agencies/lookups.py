"""`pk__in_array=<queryset>`: membership in an uncorrelated subquery, planned as an InitPlan on PostgreSQL.

`id IN (SELECT …)` inside an OR becomes a hashed SubPlan filter, which stops PostgreSQL from using indexes
for the other arms (it walks the primary key instead). `id = ANY(ARRAY(SELECT …))` is computed once up front
and is itself an index condition, so the whole OR can be a BitmapOr of index scans. Other databases get the
plain IN form.
"""

from django.db.models import Field, ForeignObject, Lookup


@Field.register_lookup
class InArraySubquery(Lookup):
    lookup_name = "in_array"

    def get_prep_lookup(self):
        return self.rhs

    def process_rhs(self, compiler, connection):
        query = self.rhs.query if hasattr(self.rhs, "query") else self.rhs
        query = query.clone()
        query.subquery = True
        return compiler.compile(query)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


ForeignObject.register_lookup(InArraySubquery)
