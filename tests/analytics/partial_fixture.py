"""Orders whose data ends 9 days before a quarter end, with no data a year earlier.

The data runs from Monday 2011-01-03 to Thursday 2011-12-22; 2011-Q4 ends on 2011-12-31, so it
is partial, and 2010-Q4 (its same period last year) has no data at all. Worked by hand:

* C1 one order 2011-06-25: silent for 181 days on 2011-12-23 (the day after the data ends):
  流失 (more than 180 days) whether measured at the data's end or at the quarter's end;
* C2 one order 2011-07-01: 175 days on 2011-12-23, not yet 流失; 184 days on 2012-01-01 (the
  day after the quarter end), 流失: the one customer whose stage depends on the as-of date;
* C3 2011-01-03 and 2011-10-05; C4 one order 2011-12-22 (新客); C5 2011-03-01 and 2011-11-15.
"""

from __future__ import annotations

import datetime as dt

ORDERS = """订单编号,客户编号,下单时间,购买数量,单价
A1,C3,2011-01-03 10:00:00,1,100
A2,C5,2011-03-01 10:00:00,1,50
A3,C1,2011-06-25 10:00:00,1,80
A4,C2,2011-07-01 10:00:00,2,30
A5,C3,2011-10-05 10:00:00,1,120
A6,C5,2011-11-15 10:00:00,1,70
A7,C4,2011-12-22 10:00:00,1,40
"""
FIRST = dt.date(2011, 1, 3)
LAST = dt.date(2011, 12, 22)
