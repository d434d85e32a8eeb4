"""The official forms as data: every table, row and column label with its canonical key.

Sources: shared/reference/templates.md (§3 the 2019 trial format of 国办公开办函〔2019〕60号, §4 the
2021 format of 〔2021〕30号, §5 the provincial statistics tables before 2019, table `legacy`) and the
contract shared/schema/tables.md. Labels are matched in their
normalised form (govreports.normalize.norm, numbering stripped) by the `phrases` given here: a
row matches when its own label contains one of them. Official wording is kept in `label` for
the data dictionary and messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from govreports.normalize import CACHED_CHARS


@dataclass(frozen=True)
class Label:
    key: str
    label: str
    phrases: tuple[str, ...]
    # For table-三 rows: the group the row belongs to ("" top level); for groups: their own key.
    group: str = ""
    eras: tuple[str, ...] = ("2019", "2021")
    exact: bool = False  # the phrase must be the whole label (short labels such as 其他)


# ---------------------------------------------------------------- table 二 `active`
ACTIVE_ROWS = (
    Label("regulations", "规章", ("规章",), "art20_1", exact=True),
    Label("normative_documents", "规范性文件 / 行政规范性文件", ("规范性文件", "规范性档案"), "art20_1"),
    Label("licensing", "行政许可", ("行政许可",), "art20_5"),
    Label("other_services", "其他对外管理服务事项", ("对外管理服务事项",), "art20_5", ("2019",)),
    Label("penalty", "行政处罚", ("行政处罚",), "art20_6"),
    Label("coercion", "行政强制", ("行政强制",), "art20_6"),
    Label("fees", "行政事业性收费", ("行政事业性收费",), "art20_8"),
    Label("procurement", "政府集中采购", ("政府集中采购",), "art20_9", ("2019",)),
)
# Rows a locality adds under an official block (Hubei's 其他主动公开文件): kept as warnings.
ACTIVE_EXTRA_ROW_PHRASES = ("其他主动公开文件",)

ACTIVE_COLUMNS = (
    Label("made", "本年新制作数量", ("新制作",), eras=("2019",)),
    Label("published", "本年新公开数量", ("新公开",), eras=("2019",)),
    Label("total_published", "对外公开总数量", ("对外公开总数",), eras=("2019",)),
    Label("prev_year_items", "上一年项目数量", ("上一年项目数", "上年项目数"), eras=("2019",)),
    Label("change", "本年增/减", ("增/减", "增减", "增、减", "增(减)"), eras=("2019",)),
    Label("items", "采购项目数量", ("采购项目数",), eras=("2019",)),
    Label("amount_wan_yuan", "采购总金额 / 本年收费金额（单位：万元）", ("采购总金额", "收费金额")),
    Label("issued", "本年制发件数", ("制发件数", "制发数"), eras=("2021",)),
    Label("repealed", "本年废止件数", ("废止件数", "废止数"), eras=("2021",)),
    Label("in_force", "现行有效件数", ("现行有效",), eras=("2021",)),
    Label("decisions", "处理决定数量 / 本年处理决定数量", ("处理决定数",)),
)
# The column header row of each block starts with this cell.
ACTIVE_HEADER_FIRST = "信息内容"
ACTIVE_BLOCK = ("第二十条", "第20条")

# The columns each block has in each era, in the form's order (the fallback when a block's header
# row is missing, and the check that a header row is complete).
ACTIVE_BLOCK_COLUMNS = {
    "2019": {
        "art20_1": ("made", "published", "total_published"),
        "art20_5": ("prev_year_items", "change", "decisions"),
        "art20_6": ("prev_year_items", "change", "decisions"),
        "art20_8": ("prev_year_items", "change"),
        "art20_9": ("items", "amount_wan_yuan"),
    },
    "2021": {
        "art20_1": ("issued", "repealed", "in_force"),
        "art20_5": ("decisions",),
        "art20_6": ("decisions",),
        "art20_8": ("amount_wan_yuan",),
    },
}

# ---------------------------------------------------------------- table 三 `requests`
REQUEST_COLUMNS = (
    Label("natural_person", "自然人", ("自然人",)),
    Label("business", "商业企业", ("商业企业",)),
    Label("research", "科研机构", ("科研机构",)),
    Label("nonprofit", "社会公益组织", ("社会公益组织", "公益组织")),
    Label("legal_services", "法律服务机构", ("法律服务机构",)),
    Label("other_org", "其他", ("其他",), exact=True),
    Label("total", "总计", ("总计",), exact=True),
)
REQUEST_COLUMN_KEYS = tuple(c.key for c in REQUEST_COLUMNS)
APPLICANT_KEYS = REQUEST_COLUMN_KEYS[:-1]

# Groups of table 三: rows that carry no numbers of their own.
REQUEST_GROUPS = (
    Label("results", "三、本年度办理结果", ("本年度办理结果", "办理结果")),
    Label("withheld", "（三）不予公开", ("不予公开",), exact=True),
    Label("unavailable", "（四）无法提供", ("无法提供",), exact=True),
    Label("rejected", "（五）不予处理", ("不予处理",), exact=True),
    # In 2019 （六）其他处理 is a data row (`other`); in 2021 it heads three rows.
    Label("other_group", "（六）其他处理", ("其他处理",), exact=True),
)

REQUEST_ROWS = (
    Label("new", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Label("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Label("disclosed", "（一）予以公开", ("予以公开",), "results"),
    Label("partly_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",), "results"),
    Label("withheld_state_secret", "1.属于国家秘密", ("国家秘密",), "withheld"),
    Label("withheld_law", "2.其他法律行政法规禁止公开", ("法律行政法规禁止", "法规禁止公开"), "withheld"),
    Label("withheld_security", "3.危及“三安全一稳定”", ("三安全一稳定", "三安全"), "withheld"),
    Label("withheld_third_party", "4.保护第三方合法权益", ("第三方合法权益", "第三方"), "withheld"),
    Label("withheld_internal", "5.属于三类内部事务信息", ("内部事务",), "withheld"),
    Label("withheld_process", "6.属于四类过程性信息", ("过程性信息", "过程性"), "withheld"),
    Label("withheld_enforcement", "7.属于行政执法案卷", ("行政执法案卷", "执法案卷"), "withheld"),
    Label("withheld_query", "8.属于行政查询事项", ("行政查询事项", "查询事项"), "withheld"),
    Label("unavailable_not_held", "1.本机关不掌握相关政府信息", ("不掌握",), "unavailable"),
    Label("unavailable_needs_creation", "2.没有现成信息需要另行制作", ("另行制作", "没有现成信息"), "unavailable"),
    Label("unavailable_unclear", "3.补正后申请内容仍不明确", ("仍不明确", "补正后"), "unavailable"),
    Label("rejected_petition", "1.信访举报投诉类申请", ("信访举报投诉", "信访"), "rejected"),
    Label("rejected_repeat", "2.重复申请", ("重复申请",), "rejected"),
    Label("rejected_publication", "3.要求提供公开出版物", ("公开出版物",), "rejected"),
    Label("rejected_abusive", "4.无正当理由大量反复申请", ("大量反复申请", "大量反复"), "rejected"),
    Label("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息", ("确认或重新出具", "重新出具"), "rejected"),
    Label("other", "（六）其他处理", ("其他处理",), "results", exact=True),
    Label("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
          ("逾期不补正",), "other_group", ("2021",)),
    Label("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
          ("收费通知", "缴纳费用"), "other_group", ("2021",)),
    Label("other_misc", "3.其他", ("其他",), "other_group", ("2021",), exact=True),
    Label("total", "（七）总计", ("总计",), "results", exact=True),
    Label("carried_forward", "四、结转下年度继续办理", ("结转下年度", "结转下一年度")),
)
REQUEST_ROW_KEYS = tuple(r.key for r in REQUEST_ROWS)
OTHER_2021 = ("other_no_correction", "other_unpaid_fee", "other_misc")
# Every outcome row counted once in （七）总计 (the form's rule 区分处理的，只计这一情形).
OUTCOME_ROWS_COMMON = tuple(r.key for r in REQUEST_ROWS if r.group in
                            ("results", "withheld", "unavailable", "rejected")
                            and r.key not in ("other", "total"))
# Rows whose values lie between a label and the next label; these are never group headers.
REQUEST_NOTE_PHRASES = ("勾稽关系", "第一项加第二项")

# ---------------------------------------------------------------- table 四 `appeals`
_OUTCOMES = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
             ("pending", "尚未审结"), ("total", "总计"))
APPEAL_BLOCKS = (("review", "行政复议"), ("suit_direct", "行政诉讼·未经复议直接起诉"),
                 ("suit_after_review", "行政诉讼·复议后起诉"))
APPEAL_COLUMNS = tuple(Label(f"{block}_{out}", f"{blabel}·{olabel}", (olabel,))
                       for block, blabel in APPEAL_BLOCKS for out, olabel in _OUTCOMES)
APPEAL_COLUMN_KEYS = tuple(c.key for c in APPEAL_COLUMNS)

# ---------------------------------------------------------------- sections
SECTIONS = (
    (1, "总体情况", ("总体情况", "概述")),
    (2, "主动公开政府信息情况", ("主动公开政府信息情况", "主动公开政府信息", "主动公开情况")),
    (3, "收到和处理政府信息公开申请情况", ("收到和处理政府信息公开申请", "依申请公开")),
    (4, "政府信息公开行政复议、行政诉讼情况", ("行政复议", "行政法复议", "行政诉讼")),
    (5, "存在的主要问题及改进情况", ("存在的主要问题", "主要问题", "问题及改进", "改进情况")),
    (6, "其他需要报告的事项", ("其他需要报告", "其他事项")),
)
# The section a table lives in, by section number.
SECTION_TABLES = {2: "active", 3: "requests", 4: "appeals"}

# Era signals in the table labels (templates.md §1 "How to tell the era").
ERA_SIGNALS = {
    "2019": ("新制作", "新公开", "对外公开总数", "上一年项目数", "第二十条第(九)项", "政府集中采购", "采购总金额"),
    "2021": ("制发件数", "废止件数", "现行有效件数", "收费金额", "逾期不补正", "收费通知"),
}

# ---------------------------------------------------------------- before 2019: table `legacy`
# No national form: provinces printed their own statistics appendix (templates.md §5; Fujian
# 指标名称/计量单位/YYYY年度/历年累计, Gansu/Dingxi 指标名称/计量单位/代码/本期实际/本年累计). A row's
# `group` names its 其中 parent: a sub-row is recognised only below that parent. Each phrase
# belongs to one row only; govreports.legacy finds them inside run-together text, longest first.
_PRE = ("pre2019",)
LEGACY_ROWS = (
    Label("proactive_total", "主动公开信息数 / 主动公开文件数 / 主动公开政府信息数",
          ("主动公开信息数", "主动公开文件数", "主动公开政府信息数", "主动公开信息总数",
           "主动公开政府信息总数"), eras=_PRE),
    Label("proactive_website", "其中：政府网站公开数 / 网站公开", ("政府网站公开数", "网站公开数", "网站公开"),
          "proactive_total", _PRE),
    Label("proactive_gazette", "其中：政府公报公开数 / 政府公报公开", ("政府公报公开数", "政府公报公开", "公报公开数",
                                                            "公报公开"), "proactive_total", _PRE),
    Label("requests_received", "受理依申请公开信息总数 / 申请总数 / 收到申请数",
          ("受理依申请公开信息总数", "受理依申请公开信息数", "受理依申请公开申请总数", "受理依申请公开申请数",
           "受理政府信息公开申请总数", "受理政府信息公开申请数", "依申请公开信息总数", "受理申请总数", "受理申请数",
           "收到申请总数", "收到申请数", "申请总数"), eras=_PRE),
    Label("requests_in_person", "其中：当面申请数", ("当面申请数", "当面申请"), "requests_received", _PRE),
    Label("requests_fax", "其中：传真申请数", ("传真申请数", "传真申请"), "requests_received", _PRE),
    Label("requests_email", "其中：电子邮件申请数", ("电子邮件申请数", "电子邮件申请", "邮件申请数"),
          "requests_received", _PRE),
    Label("requests_online", "其中：网上申请数 / 网络申请数", ("网上申请数", "网络申请数", "网上申请", "网络申请",
                                                      "在线申请数"), "requests_received", _PRE),
    Label("requests_letter", "其中：信函申请数", ("信函申请数", "信函申请"), "requests_received", _PRE),
    Label("requests_letter_fax", "其中：信函、传真申请数", ("信函、传真申请数", "信函传真申请数", "信函、传真申请",
                                                  "信函/传真申请数"), "requests_received", _PRE),
    Label("requests_other_channel", "其中：其它形式申请数 / 其他形式申请数",
          ("其它形式申请数", "其他形式申请数", "其它形式申请", "其他形式申请", "其他方式申请数", "其它方式申请数"),
          "requests_received", _PRE),
    Label("replies_total", "对申请的答复总数 / 对申请的答复数 / 申请答复数",
          ("对申请的答复总数", "对申请的答复数", "对申请答复总数", "对申请答复数", "申请答复总数", "申请答复数",
           "答复总数"), eras=_PRE),
    Label("replies_already_public", "其中：属于已主动公开范围数", ("属于已主动公开范围数", "已主动公开范围数"),
          "replies_total", _PRE),
    Label("replies_disclosed", "其中：同意公开答复数", ("同意公开答复数",), "replies_total", _PRE),
    Label("replies_partly", "其中：同意部分公开答复数", ("同意部分公开答复数", "部分公开答复数"), "replies_total", _PRE),
    Label("replies_refused", "其中：否决公开答复数 / 不予公开答复数 / 不同意公开答复数",
          ("否决公开答复数", "不予公开答复数", "不同意公开答复数"), "replies_total", _PRE),
    Label("replies_other", "其中：其他类型答复数", ("其他类型答复数", "其它类型答复数"), "replies_total", _PRE),
    Label("review_count", "行政复议数", ("行政复议数量", "行政复议数", "行政复议案件数"), eras=_PRE),
    Label("suit_count", "行政诉讼数", ("行政诉讼数量", "行政诉讼数", "行政诉讼案件数"), eras=_PRE),
    # 接受行政诉讼、举报数 (2016–2018) mixes suits and reports: kept here, flagged `label_ambiguous`.
    Label("complaint_count", "行政申诉数 / 举报投诉数量 / 接受行政诉讼、举报数",
          ("行政申诉数", "行政申诉、举报数", "举报投诉数量", "举报投诉数", "接受行政诉讼、举报数"), eras=_PRE),
    Label("fees_yuan", "政府信息公开收费减免金额（元） / 收取费用总数",
          ("政府信息公开收费减免金额", "收费减免金额", "收取费用总数", "依申请公开信息收取的费用"), eras=_PRE),
)
LEGACY_AMBIGUOUS_PHRASES = ("接受行政诉讼、举报数", "行政申诉、举报数")
LEGACY_ROW_KEYS = tuple(r.key for r in LEGACY_ROWS)
LEGACY_CHANNEL_ROWS = tuple(r.key for r in LEGACY_ROWS if r.group == "requests_received")
LEGACY_REPLY_ROWS = tuple(r.key for r in LEGACY_ROWS if r.group == "replies_total")
# The reply rows every form has; without all three the replies identity is not assessed.
LEGACY_REPLY_ROWS_CORE = ("replies_disclosed", "replies_partly", "replies_refused")

# Value columns. 本期 (Dingxi) is a month or quarter, never the year: `period` and `ytd` are
# distinct from `year` and `cumulative`.
LEGACY_COLUMNS = (
    Label("year", "YYYY年度 / 本年度", ("年度", "年"), eras=_PRE),
    Label("cumulative", "历年累计", ("历年累计",), eras=_PRE),
    Label("period", "本期实际", ("本期实际", "本期"), eras=_PRE),
    Label("ytd", "本年累计", ("本年累计",), eras=_PRE),
)
LEGACY_COLUMN_KEYS = tuple(c.key for c in LEGACY_COLUMNS)
# An accumulated column is never below the column it accumulates (legacy.cumulative).
LEGACY_ACCUMULATED = (("year", "cumulative"), ("period", "ytd"))
# Header cells that are not value columns.
LEGACY_HEADER_NAME, LEGACY_HEADER_UNIT, LEGACY_HEADER_CODE = "指标名称", "计量单位", "代码"

# Headings of the free-form outline before 2019, mapped by meaning onto the contract's section
# numbers (templates.md §5): the heading's words must match one pattern whole; tried in order,
# so 依申请公开办理和行政复议… counts as 3 (its first subject). 收费及减免 and 咨询 go to 6, like the
# 信息处理费 note the 2021 form puts under 六.
LEGACY_SECTIONS = (
    (1, r"(?:工作)?(?:概述|概况|总体情况|基本情况)"),
    (3, r"(?:政府信息)?依申请公开(?:政府信息)?(?:工作)?(?:的)?(?:办理)?情况"
        r"|(?:政府信息)?依申请公开(?:办理)?[和及、](?:行政)?复议[^，。；:]{0,12}?(?:情况)?"
        r"|收到和处理政府信息公开申请(?:的)?情况"),
    (4, r"(?:因政府信息公开(?:申请)?(?:提起)?|政府信息公开(?:的)?)?(?:行政)?复议[、和及与]?(?:提起)?(?:行政)?诉讼"
        r"(?:[、和及与](?:行政)?(?:申诉|投诉|举报))*(?:的)?(?:情况)?"),
    (2, r"(?:政府信息)?主动公开(?:政府信息)?(?:工作)?(?:的)?(?:基本)?情况"),
    (5, r"(?:政府信息公开)?(?:工作)?(?:中)?存在的?(?:主要)?(?:问题|不足)(?:[及和与、](?:改进|整改)(?:的)?"
        r"(?:情况|措施|方向|计划|思路)?)?(?:情况)?|(?:主要)?问题[及和与](?:改进|整改)(?:情况|措施)"),
    (6, r"其他需要报告的事项|(?:政府信息公开)?(?:的)?收费(?:及|和|与)?减免(?:情况)?"
        r"|(?:政府信息公开)?咨询(?:处理)?情况|其他(?:需要说明的)?事项"),
)
# What ends the prose: the statistics appendix (附件1：…统计表, 相关说明和指标统计附表).
LEGACY_APPENDIX = (r"(?:附件|附表)\s*[\d一二三四五六七八九十]*\s*[:：、]"
                   r"|(?:相关说明和)?指标统计(?:附)?表|[^\s。；]{0,40}?情况统计(?:附)?表")


@dataclass
class LabelIndex:
    """Labels of one kind, matched by phrase against a normalised, de-numbered label."""
    labels: tuple[Label, ...]
    _cache: dict = field(default_factory=dict)

    def match(self, own: str, group: Optional[str] = None) -> Optional[Label]:
        """The label whose phrase `own` contains (exact labels: equals); `group` narrows the
        candidates where short labels repeat. Longest phrase wins."""
        if len(own) > CACHED_CHARS:  # prose, not a label: not worth keeping
            return self._match(own, group)
        key = (own, group)
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) >= 8192:  # labels repeat across reports; a hostile page's do not
            self._cache.clear()
        best = self._cache[key] = self._match(own, group)
        return best

    def _match(self, own: str, group: Optional[str]) -> Optional[Label]:
        best: Optional[Label] = None
        best_len = 0
        for lab in self.labels:
            if group is not None and lab.group and lab.group != group:
                continue
            for ph in lab.phrases:
                hit = own == ph if lab.exact else ph in own
                if hit and len(ph) > best_len:
                    best, best_len = lab, len(ph)
        return best


ACTIVE_ROW_INDEX = LabelIndex(ACTIVE_ROWS)
ACTIVE_COLUMN_INDEX = LabelIndex(ACTIVE_COLUMNS)
REQUEST_ROW_INDEX = LabelIndex(REQUEST_ROWS)
REQUEST_GROUP_INDEX = LabelIndex(REQUEST_GROUPS)
REQUEST_COLUMN_INDEX = LabelIndex(REQUEST_COLUMNS)
LEGACY_COLUMN_INDEX = LabelIndex(LEGACY_COLUMNS)


def label_of(table: str, key: str) -> str:
    """The official Chinese label of a row or column key, for data dictionaries."""
    pools = {"active": ACTIVE_ROWS + ACTIVE_COLUMNS, "requests": REQUEST_ROWS + REQUEST_COLUMNS,
             "appeals": APPEAL_COLUMNS, "legacy": LEGACY_ROWS + LEGACY_COLUMNS}
    for lab in pools.get(table, ()):
        if lab.key == key:
            return lab.label
    return key
