#!/usr/bin/env bash
# saferl_budget.h against statsmodels and scipy: the checked-in fixtures always, and the
# fixtures re-derived when statsmodels / scipy are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/test_budget_oracle
build/test_budget_oracle
if /usr/bin/python3 -c "import statsmodels" 2>/dev/null; then
    /usr/bin/python3 tests/oracle/budget_statsmodels.py --check
fi
if /usr/bin/python3 -c "import scipy" 2>/dev/null; then
    /usr/bin/python3 tests/oracle/budget_beta_geometric.py --check
fi
