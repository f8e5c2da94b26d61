//! Demo enterprise problems 企业之家 and the chain chiefs' work 链长制 (示例, issue 7).
//!
//! About four hundred problems spread over the last twelve months, raised by demo
//! enterprises on their chains — most in the portal, some from the 12345 hotline (with a
//! ticket number), some recorded after a visit (with the visit's code) — in every status and
//! at every level. Each problem's history is played through the real rules: deadlines in
//! working days from the calendar and `Limits::default()`, acceptance, answers, ratings,
//! reopening, rejection, withdrawal, manual escalation with a reason and automatic escalation
//! and closure exactly as `App::sweep_problems` records them (`auto_escalations`, its
//! reasons, the units that let a problem lapse). Every open problem stands where the sweep
//! would leave it today, so a sweep on the same day changes nothing. Deliberate clusters —
//! three to five enterprises of one chain describing the same difficulty within a few weeks —
//! make chain-wide groups, found by `group_chain_wide` as the app finds them.
//!
//! Then the chains' work: two to four visits per chain (some findings became the problems
//! above, some assigned tasks), a quarterly promotion meeting for each of the last four
//! quarters and the current one (held, with attendees, minutes and two to four decisions as
//! tasks; the current quarter's stays planned while its day is ahead), tasks with progress
//! reports, supervision and closure (some late, some still open past their deadline), and
//! each chain's action plan and annual work plan for the current year.
//!
//! A past meeting's agenda is what the meeting saw on its day: the problems escalated and
//! open then, the groups with open members then, the tasks due then (rebuilt from the
//! histories generated here), with the coded projects and the policy item of
//! `App::assemble_agenda`; a planned meeting's agenda is `assemble_agenda`'s as it is.
//!
//! All names, places and people are fictitious and marked 示例. Deterministic for a seed and
//! the clock's today. Written through the store in a few transactions, with one audit entry
//! per batch and change-feed entries for the problems.

use crate::{Actor, App, AppError, Result, audit_entry};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use domain::problem::{self as dpr, Category, Level, Limits, Source, Status};
use domain::workday::Calendar;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use store::meeting as sm;
use store::problem as spr;
use store::sql::Sql;

const WORDS_CSV: &str = include_str!("../../../data/demo/name_words.csv");

/// Problems drawn at random over the year (clusters, visits and a few fixed cases come on top).
const RANDOM_PROBLEMS: usize = 290;

/// What the generator wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProblemsSeeded {
    pub problems: usize,
    pub groups: usize,
    pub visits: usize,
    pub meetings: usize,
    pub tasks: usize,
    pub plan_items: usize,
}

// ---------------------------------------------------------------- texts

/// (sub-category, title, description)
type Tpl = (&'static str, &'static str, &'static str);

fn templates(c: Category) -> &'static [Tpl] {
    match c {
        Category::Land => &[
            (
                "land_quota",
                "用地指标不足影响二期扩建",
                "公司二期扩建项目已完成备案，需新增工业用地约60亩，但所在园区今年新增建设用地指标已用完，项目无法按期摘地开工，恳请协调解决用地指标。",
            ),
            (
                "land_approval",
                "项目用地报批进度缓慢",
                "公司新建生产线项目用地去年已申报农用地转用，至今仍未获批，报批材料多次补正，周期过长，设备已到货却无法安装。",
            ),
            (
                "land_supply",
                "标准化厂房供应不足新产线无法落地",
                "公司新引进的配套产线需要约5000平方米标准化厂房，园区现有标准厂房已全部出租，新厂房建设进度滞后，产线无法按期落地。",
            ),
            (
                "property_registration",
                "厂房不动产权证长期未办理",
                "公司厂房已建成投用三年，因历史遗留的规划手续问题一直未能办理不动产权证，影响企业抵押融资和后续扩建，请求协调补办。",
            ),
            (
                "factory_lease",
                "园区厂房租金上涨过快",
                "园区平台公司今年将标准厂房租金由每平方米每月12元上调至16元，涨幅较大，企业经营压力明显增加，希望按招商协议执行租金优惠。",
            ),
            (
                "inefficient_land",
                "相邻闲置地块长期未盘活影响扩产",
                "公司相邻地块被一家停产企业长期闲置，公司有意收购用于扩产，但闲置土地处置程序不明确，请求协调推动低效用地盘活。",
            ),
            (
                "land_quota",
                "配套仓储用地无法落实",
                "公司产能扩大后原料和成品堆存场地严重不足，申请在厂区东侧配套建设仓储设施，但该地块规划为商业用地，无法作为仓储用地供应。",
            ),
            (
                "land_supply",
                "项目用地红线内拆迁未完成无法进场",
                "公司摘牌地块红线内仍有3户居民房屋和部分青苗未完成补偿拆迁，施工单位无法进场，项目开工时间一再推迟。",
            ),
        ],
        Category::Funds => &[
            (
                "bank_loan",
                "流动资金贷款难以获批",
                "受原材料价格上涨影响，公司流动资金紧张，向多家银行申请流动资金贷款，均以缺少有效抵押物为由未获批准，希望协调银行提供信用贷款支持。",
            ),
            (
                "loan_renewal",
                "银行贷款到期续贷困难",
                "公司在银行的一笔1500万元贷款即将到期，银行要求先还后贷，企业短期内难以筹措还款资金，希望协调办理无还本续贷或提供应急转贷资金。",
            ),
            (
                "guarantee",
                "融资担保费率偏高融资成本高",
                "公司通过担保公司融资，担保费率达到2.5%，叠加贷款利息后综合融资成本超过8%，希望政策性担保机构降低担保费率。",
            ),
            (
                "subsidy",
                "技改奖补资金迟迟未兑现",
                "公司去年实施的智能化技术改造项目已通过验收，按政策应获得技改补助资金，至今尚未拨付，影响企业后续投入。",
            ),
            (
                "equity_financing",
                "缺少股权融资对接渠道",
                "公司处于快速扩张期，有引入战略投资者的意向，但缺少与产业基金、创投机构对接的渠道，希望协调组织投融资路演。",
            ),
            (
                "tax_fee",
                "研发费用加计扣除政策享受不充分",
                "公司对研发费用加计扣除政策的归集口径理解不清，去年部分研发支出未能享受优惠，希望税务部门上门辅导。",
            ),
            (
                "subsidy",
                "首台套保险补偿资金申报无回音",
                "公司研制的首台套装备已投保并交付用户使用，按规定申报了首台套保险补偿资金，半年多来一直没有审核结果。",
            ),
            (
                "bank_loan",
                "设备更新贷款贴息申请受阻",
                "公司申请设备更新改造专项贷款贴息，因设备发票跨年度被认定为不符合条件，希望明确贴息政策执行口径。",
            ),
        ],
        Category::Talent => &[
            (
                "recruitment",
                "高技能人才招聘难",
                "公司新上自动化产线，急需数控机床操作、设备维修等高技能人才约30名，本地招聘渠道有限，多次参加招聘会效果不佳，岗位长期空缺。",
            ),
            (
                "recruitment",
                "一线普工招工难用工缺口大",
                "公司订单增加，需新增一线普工约80人，但周边劳动力外出务工较多，招工困难，目前用工缺口较大，影响订单按期交付。",
            ),
            (
                "high_level_talent",
                "研发人才引进难留不住",
                "公司研发中心急需材料、化工等专业的硕士以上研发人员，引进的人才因待遇和生活配套等原因流失较多，希望享受人才引进政策支持。",
            ),
            (
                "skills_training",
                "缺少针对性职业技能培训",
                "企业新招员工技能基础薄弱，本地职业院校培训专业与企业需求不匹配，希望开展订单式、定向式职业技能培训。",
            ),
            (
                "talent_housing",
                "引进人才住房保障不足",
                "公司引进的技术骨干在园区周边租房困难，人才公寓房源紧张，多次申请未能入住，希望增加人才公寓供给。",
            ),
            (
                "children_schooling",
                "外地员工子女入学难",
                "公司外地籍技术员工子女在园区附近学校入学困难，学位紧张，影响员工队伍稳定，希望协调解决员工子女就近入学。",
            ),
            (
                "high_level_talent",
                "人才补贴申报条件过高",
                "市级人才补贴要求引进人才具有高级职称或硕士以上学历，企业急需的高级技师难以享受，希望将高技能人才纳入补贴范围。",
            ),
            (
                "recruitment",
                "校企合作招聘渠道不畅",
                "公司希望与本地职业院校开展订单班合作，提前锁定机电、化工专业毕业生，但缺少对接渠道，希望协调组织校企对接。",
            ),
        ],
        Category::Energy => &[
            (
                "natural_gas",
                "天然气供气不足且价格上涨",
                "入冬以来园区天然气供气压力不足，公司窑炉多次被迫降负荷运行，同时用气价格较去年上涨约20%，生产成本大幅增加，希望协调保障供气并稳定气价。",
            ),
            (
                "electricity",
                "园区频繁停电影响连续生产",
                "近两个月园区供电线路频繁跳闸停电，每次停电都造成整条生产线停机，产品报废损失较大，希望供电部门尽快排查改造线路。",
            ),
            (
                "electricity",
                "新增用电报装容量审批慢",
                "公司新上生产线需新增变压器容量2000千伏安，用电报装申请已提交两个月，供电方案仍未批复，影响设备调试投产。",
            ),
            (
                "water",
                "园区供水管网压力不足经常断水",
                "园区供水管网压力不足，公司生产高峰时段经常断水，影响冷却系统运行，希望协调加快供水管网改造。",
            ),
            (
                "heat",
                "园区集中供汽不稳定",
                "园区集中供热蒸汽压力和温度波动大，影响公司生产工艺稳定，曾多次导致批次产品不合格，希望供汽单位保障稳定供汽。",
            ),
            (
                "energy_price",
                "用电成本偏高希望参与电力市场化交易",
                "公司年用电量约3000万千瓦时，电费占生产成本比重较高，希望协调参与电力市场化交易或享受直供电价优惠。",
            ),
            (
                "energy_quota",
                "新建项目能耗指标无法落实",
                "公司扩能项目节能审查需落实能耗指标约1.2万吨标准煤，所在县能耗指标紧张，项目节能审查无法通过。",
            ),
            (
                "water",
                "污水处理厂接管容量不足",
                "园区污水处理厂处理能力已接近饱和，公司新增废水无法接管排放，环评要求无法落实，希望加快污水处理厂扩容。",
            ),
        ],
        Category::Approvals => &[
            (
                "eia",
                "环评审批时间长影响项目开工",
                "公司新建项目环境影响报告书已编制完成并提交，审批流程涉及多轮专家评审和补充监测，预计耗时半年以上，希望开辟绿色通道加快环评审批。",
            ),
            (
                "construction_permit",
                "施工许可办理环节多周期长",
                "公司新建厂房施工许可需要先后办理规划、图审、质监、安监等多项手续，材料重复提交，办理周期长，希望推行并联审批。",
            ),
            (
                "construction_permit",
                "新厂房竣工验收迟迟无法完成",
                "公司新厂房已建成，竣工联合验收因消防、人防等部门意见不统一迟迟无法完成，厂房无法投入使用。",
            ),
            (
                "fire_safety",
                "厂房消防验收标准不明确",
                "公司生产车间消防设计审查意见与验收要求不一致，整改多次仍未通过消防验收，希望明确验收标准并上门指导。",
            ),
            (
                "planning_permit",
                "规划方案调整审批慢",
                "因工艺调整需变更厂区总平面布置，规划方案调整报批已两个多月仍未批复，项目建设被迫停工等待。",
            ),
            (
                "licence",
                "危险化学品经营许可证换证难",
                "公司危险化学品经营许可证即将到期，换证需要重新进行安全评价，评价机构少、排队时间长，担心证照过期影响经营。",
            ),
            (
                "project_filing",
                "技改项目备案变更手续繁琐",
                "公司技改项目投资额和建设内容调整后需办理备案变更，涉及多个部门重复审查，希望简化变更程序。",
            ),
            (
                "eia",
                "排污许可证核发进度慢",
                "公司新建生产线已具备试生产条件，排污许可证申请提交后长时间未核发，生产线无法投入试运行。",
            ),
        ],
        Category::Market => &[
            (
                "market_expansion",
                "产品市场开拓难订单不足",
                "受行业需求下滑影响，公司订单较去年同期减少约三成，产能利用率不足六成，希望政府组织产销对接活动，帮助企业拓展市场。",
            ),
            (
                "local_supporting",
                "本地配套对接渠道不畅",
                "公司产品可为本地龙头企业配套，但缺少对接渠道，龙头企业采购仍主要依赖外地供应商，希望组织链主企业与本地配套企业供需对接。",
            ),
            (
                "government_procurement",
                "政府投资项目中本地产品参与难",
                "本地政府投资项目招标设置的业绩门槛较高，本地中小企业产品难以参与投标，希望在符合规定的前提下支持本地优质产品。",
            ),
            (
                "export",
                "外贸出口订单履约风险大",
                "公司出口订单增加，但对海外客户资信情况掌握不足，汇率波动较大，希望提供出口信用保险和外贸风险辅导。",
            ),
            (
                "brand",
                "企业品牌宣传推广渠道少",
                "公司产品品质较好但品牌知名度低，缺少参加全国性展会的机会和资金，希望支持企业参展和品牌推广。",
            ),
            (
                "market_expansion",
                "新产品缺少首批应用场景",
                "公司研发的新产品已通过检测认证，但缺少首批应用示范场景，下游客户不敢试用，希望协调开放应用场景。",
            ),
            (
                "export",
                "首次开展自营出口缺少外贸服务",
                "公司首次开展自营出口业务，对报关、结汇、退税流程不熟悉，本地缺少外贸综合服务企业，希望提供外贸业务培训和代理服务。",
            ),
            (
                "local_supporting",
                "原材料本地采购渠道不稳定",
                "公司主要原材料需从省外采购，运输成本高、供货周期长，本地虽有相关企业但产品规格不匹配，希望推动上下游企业开展技术对接。",
            ),
        ],
        Category::Logistics => &[
            (
                "freight_cost",
                "物流成本高运输费用占比大",
                "公司产品主要销往长三角、珠三角，公路运输距离远、返程空载率高，物流费用占销售收入比重超过8%，希望协调发展多式联运降低物流成本。",
            ),
            (
                "road_transport",
                "园区道路破损重载车辆通行困难",
                "园区主干道路面破损严重，雨天积水，重载货车通行困难且存在安全隐患，希望尽快维修改造。",
            ),
            (
                "rail_port",
                "铁路货运装车计划紧张",
                "公司产品通过铁路外运，但货运站装车计划紧张，经常需要排队等待一周以上，影响交货期，希望协调增加铁路运力。",
            ),
            (
                "warehousing",
                "缺少公共冷链仓储设施",
                "公司产品需冷链储存，本地缺少公共冷库，企业自建成本高，旺季产品积压损耗大，希望规划建设公共冷链仓储设施。",
            ),
            (
                "hazardous_transport",
                "危化品运输车辆通行受限",
                "公司危险化学品运输车辆进出园区需绕行，部分路段限行时段过长，影响原料供应和产品外运，希望优化危化品车辆通行线路和时段。",
            ),
            (
                "road_transport",
                "园区至高速入口连接道路未打通",
                "园区至高速公路入口的连接道路尚未建成，货车需穿越城区，运输时间长且受限行管理，希望加快连接道路建设。",
            ),
            (
                "freight_cost",
                "本地物流企业少零担运价偏高",
                "本地规模以上物流企业较少，零担运输线路不足，公司小批量发货运价偏高，希望引进第三方物流企业开通专线。",
            ),
            (
                "rail_port",
                "铁路专用线接轨手续进展慢",
                "公司计划建设铁路专用线，接轨方案审查和协议办理周期长，专用线建设迟迟不能启动，希望协调铁路部门加快办理。",
            ),
        ],
        Category::Arrears => &[
            (
                "construction_payment",
                "应收账款被拖欠工程款长期未付",
                "公司承建的园区基础设施项目已竣工验收，业主单位拖欠工程款约860万元超过一年，企业资金周转困难，希望协调督促支付。",
            ),
            (
                "government_arrears",
                "事业单位拖欠设备货款",
                "公司向某事业单位供应的设备已验收使用，货款约120万元拖欠至今，多次催收未果，希望协调清欠。",
            ),
            (
                "large_enterprise_arrears",
                "大型企业账期过长占用资金",
                "公司为省外某大型企业配套供货，对方以商业汇票支付且账期长达六个月以上，应收账款占用资金较多，希望协调缩短账期。",
            ),
            (
                "deposit_refund",
                "项目履约保证金到期未退还",
                "公司承接的项目已完工验收，按合同应退还的履约保证金约50万元逾期未退，希望督促相关单位尽快退还。",
            ),
            (
                "soe_arrears",
                "国有企业拖欠配套货款",
                "公司为市属国有企业项目提供配套产品，国企以资金紧张为由拖欠货款约300万元，希望推动国有企业按合同约定付款。",
            ),
            (
                "construction_payment",
                "园区平台公司拖欠厂房代建款",
                "公司为园区平台公司代建标准厂房，代建款项约1200万元逾期未支付，公司已垫付大量资金，银行还款压力大。",
            ),
            (
                "government_arrears",
                "政府采购项目尾款逾期未付",
                "公司中标的政府采购项目已完成交付和验收，合同尾款约80万元超过付款期限半年仍未支付。",
            ),
            (
                "large_enterprise_arrears",
                "以商业承兑汇票变相拖欠货款",
                "下游客户长期以商业承兑汇票支付货款，部分汇票到期无法兑付，实质形成拖欠，希望协调规范支付方式。",
            ),
        ],
        Category::Rights => &[
            (
                "ip_protection",
                "专利产品被仿冒侵权",
                "公司自主研发的专利产品被外地企业仿冒并低价销售，维权取证难、周期长，希望知识产权部门协助维权。",
            ),
            (
                "enforcement",
                "涉企检查过多影响正常生产",
                "今年以来公司接受各类检查二十余次，部分检查内容重复，频繁迎检影响正常生产，希望推行联合检查、减少重复检查。",
            ),
            (
                "arbitrary_charges",
                "中介服务收费不规范",
                "公司办理项目审批时被要求委托指定中介机构出具评估报告，收费明显高于市场价格，希望规范中介服务收费。",
            ),
            (
                "market_access",
                "招投标设置不合理门槛",
                "部分招标项目设置注册资本、特定业绩等与项目无关的门槛，限制本地企业参与，希望清理招投标中的不合理限制。",
            ),
            (
                "fair_competition",
                "外地市场准入存在地方保护",
                "公司产品进入部分外地市场时被要求在当地设立分支机构或重复检测认证，增加了企业成本，希望协调推动市场公平准入。",
            ),
            (
                "contract_dispute",
                "设备采购合同纠纷久拖未决",
                "公司与供应商的设备采购合同纠纷已起诉一年多，案件审理进展缓慢，资金和设备被长期占用，希望加快案件办理。",
            ),
            (
                "enforcement",
                "环保督查期间一刀切停产",
                "公司环保设施运行正常、排放达标，但在区域环保督查期间被要求一律停产，造成订单违约损失，希望执法时区分对待。",
            ),
            (
                "ip_protection",
                "商标被抢注影响品牌使用",
                "公司使用多年的产品商标被他人抢先注册，现被对方要求停止使用，希望提供商标维权指导和法律援助。",
            ),
        ],
        Category::Other => &[
            (
                "policy_consultation",
                "惠企政策多不知如何申报",
                "各部门出台的惠企政策较多，企业不清楚哪些政策可以享受以及申报流程，希望提供政策精准推送和申报辅导。",
            ),
            (
                "infrastructure",
                "园区雨污管网和道路配套不完善",
                "园区部分区域雨污管网尚未建成，道路照明等基础设施配套不完善，影响企业入驻和正常生产，希望加快园区基础设施建设。",
            ),
            (
                "living_services",
                "园区员工就餐通勤不便",
                "园区周边缺少餐饮、超市等生活配套，也没有公交线路，员工上下班通勤不便，影响员工招聘和稳定。",
            ),
            (
                "suggestion",
                "建议建立产业链企业常态化交流机制",
                "建议由产业链牵头部门定期组织链上企业交流，分享市场信息和技术需求，促进上下游企业合作。",
            ),
            (
                "infrastructure",
                "园区网络通信信号差",
                "园区部分区域移动通信信号弱、宽带带宽不足，影响企业智能化设备联网运行和远程运维，希望通信运营商加快网络建设。",
            ),
            (
                "policy_consultation",
                "高新技术企业认定政策咨询",
                "公司计划申报高新技术企业，对研发费用归集、知识产权数量等认定条件理解不清，希望科技部门提供申报指导。",
            ),
            (
                "living_services",
                "园区周边缺少员工宿舍",
                "公司员工多来自周边乡镇，园区附近缺少员工宿舍和公租房，员工每天往返时间长，希望规划建设员工宿舍。",
            ),
            (
                "other",
                "厂区周边治安环境需加强",
                "近期厂区周边多次发生原材料被盗事件，夜间巡逻力量不足，希望加强园区治安管理。",
            ),
        ],
    }
}

/// Sentences an enterprise adds to its description (the last one adds nothing).
const IMPACT: [&str; 6] = [
    "目前已影响企业正常生产经营。",
    "企业已多次向属地反映，至今未能解决。",
    "若不能尽快解决，将影响企业年度生产计划。",
    "恳请相关部门帮助协调。",
    "该问题已持续较长时间，企业压力较大。",
    "",
];

/// Categories with weights for problems drawn at random.
const CATEGORY_WEIGHTS: [(Category, u32); 10] = [
    (Category::Land, 12),
    (Category::Funds, 14),
    (Category::Talent, 12),
    (Category::Energy, 11),
    (Category::Approvals, 11),
    (Category::Market, 9),
    (Category::Logistics, 8),
    (Category::Arrears, 10),
    (Category::Rights, 6),
    (Category::Other, 7),
];

/// The difficulties several enterprises of a chain raise together (category, template).
const CLUSTERS: [(Category, usize); 8] = [
    (Category::Energy, 0),
    (Category::Talent, 0),
    (Category::Logistics, 0),
    (Category::Arrears, 0),
    (Category::Land, 0),
    (Category::Approvals, 0),
    (Category::Funds, 1),
    (Category::Market, 1),
];

/// Answers per category: `{unit}` the handling unit, `{dept}` the category's department.
fn answers(c: Category) -> &'static [&'static str] {
    match c {
        Category::Land => &[
            "经{unit}会同{dept}核实，贵公司项目已纳入年度用地保障清单，拟通过盘活园区存量低效用地解决，预计下月完成供地前期工作，请公司按要求准备相关材料。",
            "已协调{dept}开辟报批绿色通道，相关材料已补正完毕并上报，预计近期获批，届时将第一时间通知公司。",
        ],
        Category::Funds => &[
            "已组织{dept}和辖区银行召开银企对接会，两家银行已对公司开展授信调查，可提供信用贷款支持；如有转贷需求可申请市级应急转贷资金。",
            "经{dept}核实，相关奖补资金已纳入本年度预算，将于本月内拨付到位。",
        ],
        Category::Talent => &[
            "已将公司用工需求纳入{dept}重点企业用工服务清单，近期将组织专场招聘会，并推荐职业院校开展订单式培养。",
            "经{unit}协调，公司引进人才符合人才公寓入住条件，已安排入住；其他人才政策申报事项已由{dept}上门辅导。",
        ],
        Category::Energy => &[
            "经协调供能企业，已制定保供方案并优先保障公司生产用能，线路和管网改造工程已列入近期计划；用能价格按现行政策执行，可参与市场化交易降低成本。",
            "已会同{dept}及供能企业现场办公，明确了扩容方案和完成时限，{unit}将持续跟踪落实。",
        ],
        Category::Approvals => &[
            "已将项目纳入重点项目审批绿色通道，实行并联审批和容缺受理，{dept}已安排专人全程帮办，预计在法定时限内办结。",
            "经{unit}与审批部门现场会商，明确了整改要求和验收标准，公司按要求整改后即可组织验收。",
        ],
        Category::Market => &[
            "已将公司产品纳入本地产品推介目录，{dept}将在下月产销对接会上安排公司与链主企业对接。",
            "{dept}已为公司提供参展补贴申报指导和出口信用保险政策辅导，相关支持正在落实。",
        ],
        Category::Logistics => &[
            "已协调{dept}将相关道路维修纳入年度计划，并对接物流企业开通专线，降低公司运输成本。",
            "已会同铁路和交通部门优化运输组织，对公司货运需求给予优先安排，{unit}将持续跟踪。",
        ],
        Category::Arrears => &[
            "已督促欠款单位制定还款计划，首笔款项已支付，剩余款项将按计划分期支付，{dept}将持续跟踪督办。",
            "经核实欠款事实清楚，已纳入清欠台账挂号督办，欠款单位承诺于本季度末前付清。",
        ],
        Category::Rights => &[
            "已由{dept}受理并开展调查，依法对相关违规行为进行处理，并为公司提供维权指导。",
            "已推行涉企联合检查和“综合查一次”，规范执法行为，后续将减少对公司的重复检查。",
        ],
        Category::Other => &[
            "已由{dept}安排专人为公司提供政策解读和申报辅导，相关事项正在落实。",
            "已将公司反映的园区配套问题纳入园区建设计划，由{unit}分步实施解决。",
        ],
    }
}

const ACCEPT: [&str; 3] =
    ["已受理，正在核实相关情况。", "已受理，已安排专人对接企业。", "已受理，正会同{dept}研究办理。"];

const REJECT: [&str; 4] = [
    "经核实，该诉求属企业间合同纠纷，已进入司法程序，不属于本平台受理范围，建议通过法律途径解决。",
    "经核实，企业反映事项已于近期办结并经企业确认，本次为重复提交。",
    "诉求内容不明确，经多次电话联系企业未能补充有效信息，暂不予受理，企业可补充材料后重新提交。",
    "该事项属于企业内部经营管理事项，不属于政府部门职责范围。",
];

const WITHDRAW: [&str; 3] =
    ["问题已通过与对方协商解决，申请撤回。", "企业已自行解决，撤回该问题。", "情况发生变化，暂不需要协调，申请撤回。"];

const ESCALATE_COUNTY: [&str; 3] = [
    "该事项涉及市级部门审批权限，县级无法协调解决，申请提级至牵头部门办理。",
    "涉及跨县域协调，需市级层面统筹，申请升级办理。",
    "已多次协调相关单位未果，需市级部门出面协调，申请升级。",
];

const ESCALATE_LEAD: [&str; 3] = [
    "涉及多个市级部门和政策调整，需提请链长协调解决。",
    "问题涉及省级权限事项，需链长出面向上争取支持。",
    "多家企业反映同类问题，属链级共性问题，提请链长研究。",
];

const REOPEN_ENTERPRISE: [&str; 2] = [
    "答复仅说明了政策规定，未提出具体解决措施，问题仍未解决，申请重新办理。",
    "答复承诺的事项未按期落实，企业生产仍受影响，申请重新办理。",
];

const REOPEN_OFFICE: &str = "经融圈强链办复核，答复内容与企业诉求不对应，退回重新办理。";

fn rating_note(r: i64) -> &'static [&'static str] {
    match r {
        5 => &["问题得到圆满解决，感谢各部门的高效服务！", "办理及时、沟通到位，非常满意。"],
        4 => &["问题基本解决，办理效率较高。", "答复清楚，后续事项希望继续跟踪。"],
        3 => &["问题部分解决，希望后续继续关注。"],
        2 => &["答复未能解决实际问题。"],
        _ => &["办理拖延，问题仍未解决。"],
    }
}

const GENERAL_FINDINGS: [&str; 6] = [
    "园区水电气路等配套设施仍需完善",
    "链上企业之间本地配套率偏低，上下游协作不够紧密",
    "部分企业研发投入不足，创新能力有待提升",
    "产业链重点项目推进有快有慢，个别项目前期工作滞后",
    "企业普遍反映专业技术人才缺乏",
    "部分企业订单饱满、产能不足，扩产意愿强烈",
];

const PROGRESS: [&str; 4] = [
    "已召开专题协调会，明确了责任分工和时间节点。",
    "已完成前期调研和资料收集，正在制定工作方案。",
    "已与相关企业和部门对接，正在推进落实。",
    "主体工作已完成约六成，预计可按期完成。",
];

const SUPERVISION: [&str; 2] = [
    "该事项已超过办理期限，请责任单位于 5 个工作日内报送办理进展及下一步措施。",
    "请加快推进，确保按期办结，办理中遇到的困难及时报告。",
];

const DONE: [&str; 3] = [
    "已按要求办结，相关佐证材料已上传。",
    "事项已完成，企业已书面确认，问题已解决。",
    "已完成并形成工作成果，报融圈强链办备案。",
];

const CANCELLED: &str = "因企业项目调整，该事项不再需要办理，经链长同意予以撤销。";

/// (decision, task title, unit: `lead`, `county` or a department code, evidence expected)
const DECISIONS: [(&str, &str, &str, &str); 10] = [
    (
        "由{unit}牵头，梳理{chain}产业链招商图谱和重点招引企业清单，{due}前提交链长审定",
        "梳理{chain}产业链招商图谱和重点招引企业清单",
        "lead",
        "招商图谱、重点招引企业清单",
    ),
    (
        "由{unit}牵头，组织召开{chain}产业链银企对接会，推动金融机构加大对链上企业的授信支持",
        "组织召开{chain}产业链银企对接会",
        "czj",
        "对接会签到表、授信意向清单",
    ),
    (
        "由{unit}牵头，开展{chain}产业链本地配套供需对接活动，提高本地配套率",
        "开展{chain}产业链本地配套供需对接活动",
        "lead",
        "对接活动方案、签约清单",
    ),
    (
        "由{unit}牵头，研究起草支持{chain}产业链高质量发展的若干政策措施，{due}前形成送审稿",
        "起草支持{chain}产业链高质量发展的政策措施（送审稿）",
        "fgw",
        "政策措施送审稿及起草说明",
    ),
    (
        "由{unit}牵头，组织{chain}产业链企业开展关键核心技术攻关需求征集，推动产学研合作",
        "征集{chain}产业链技术攻关需求并推动产学研合作",
        "kjj",
        "需求清单、合作协议",
    ),
    (
        "由{unit}牵头，举办{chain}产业链专场招聘会，缓解链上企业用工紧张",
        "举办{chain}产业链专场招聘会",
        "rsj",
        "招聘会方案及达成就业意向统计",
    ),
    (
        "由{unit}负责，加快园区标准化厂房和配套设施建设，保障链上项目落地",
        "加快园区标准化厂房和配套设施建设",
        "county",
        "建设进度台账、现场照片",
    ),
    (
        "由{unit}牵头，对本链滞后重点项目开展专项督导，逐一明确解决措施和完成时限",
        "开展{chain}产业链滞后重点项目专项督导",
        "lead",
        "督导报告及整改清单",
    ),
    (
        "由{unit}牵头，建立{chain}产业链重点企业用地、用能等要素保障清单，实行动态管理",
        "建立{chain}产业链要素保障清单",
        "fgw",
        "要素保障清单及调度记录",
    ),
    (
        "由{unit}牵头，开展链上企业拖欠账款专项清理，建立清欠台账，{due}前完成首轮清理",
        "开展{chain}产业链拖欠企业账款专项清理",
        "jxj",
        "清欠台账及支付凭证",
    ),
];

/// (title, unit: `lead` or a department code)
const ACTION_PLAN: [(&str, &str); 10] = [
    ("编制{chain}产业链全景图谱和招商目录", "lead"),
    ("培育壮大{chain}产业链链主企业，新增省级以上专精特新企业 2 户", "jxj"),
    ("推动{chain}产业链重点项目开工建设，完成年度投资目标任务", "fgw"),
    ("建设{chain}产业链公共服务平台（检验检测、中试基地）", "kjj"),
    ("组织{chain}产业链产融对接活动不少于 4 次", "czj"),
    ("实施{chain}产业链关键核心技术攻关项目 3 项以上", "kjj"),
    ("引育{chain}产业链紧缺专业人才 200 名以上", "rsj"),
    ("推动{chain}产业链企业数字化改造和智能化升级 20 户以上", "jxj"),
    ("争取{chain}产业链省级以上专项资金和政策支持", "fgw"),
    ("保障{chain}产业链重点项目用地需求，盘活存量低效用地", "zrzyj"),
];

/// (title, unit: `lead` or a department code, month due)
const ANNUAL_PLAN: [(&str, &str, u32); 12] = [
    ("制定{chain}产业链{year}年度工作要点", "lead", 1),
    ("召开第一季度链长推进会议，研究解决企业反映问题", "lead", 3),
    ("开展{chain}产业链企业走访调研，形成调研报告", "lead", 4),
    ("组织{chain}产业链银企对接会", "czj", 5),
    ("举办{chain}产业链专场招聘活动", "rsj", 5),
    ("召开第二季度链长推进会议", "lead", 6),
    ("开展{chain}产业链本地配套供需对接活动", "swj", 7),
    ("组织链上企业参加国内重点展会", "swj", 9),
    ("召开第三季度链长推进会议", "lead", 9),
    ("开展{chain}产业链招商引资专题推介活动", "jjhzwsj", 10),
    ("完成{chain}产业链年度发展评估报告", "lead", 11),
    ("召开第四季度链长推进会议并总结全年工作", "lead", 12),
];

const PLAN_DONE: [&str; 3] = [
    "已按期完成，相关材料已报融圈强链办备案。",
    "已完成，形成阶段性工作成果，经牵头部门审核通过。",
    "已完成并通过链长审定。",
];

const EVIDENCE: [&str; 3] = ["协调会议纪要、企业书面确认", "批复文件或办理结果通知书", "工作台账及现场照片"];

// ---------------------------------------------------------------- the city as the generator sees it

struct ChainW {
    id: i64,
    code: String,
    name: String,
    lead: String,
    carrying: Vec<String>,
    /// Indices into `World::ents`.
    ents: Vec<usize>,
}

/// (chain id, id, USCC, name, county, park, contact, phone)
type EntRow = (i64, i64, String, String, String, Option<String>, String, String);

struct EntW {
    id: i64,
    name: String,
    /// Park code when in a park, else the county: the county-level handling unit.
    region: String,
    contact: String,
}

struct World {
    today: NaiveDate,
    now: DateTime<Utc>,
    cal: Calendar,
    limits: Limits,
    chains: Vec<ChainW>,
    ents: Vec<EntW>,
    /// Regions, departments and chains (as their chiefs): code → name.
    names: HashMap<String, String>,
    /// Demo accounts by the unit, region or chain their grant covers.
    accounts: HashMap<String, i64>,
    office: Option<i64>,
    /// The demo enterprise account: (index into `ents`, account id).
    demo_ent: Option<(usize, i64)>,
    surname: Vec<String>,
    given: Vec<String>,
}

impl World {
    fn name(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_else(|| code.to_string())
    }

    /// The handling unit of a problem at `level` (as `App::unit_at`).
    fn unit_at(&self, d: &Draft, level: Level) -> String {
        let c = &self.chains[d.chain];
        match level {
            Level::County => self.ents[d.ent].region.clone(),
            Level::LeadDepartment => c.lead.clone(),
            Level::Chief => c.code.clone(),
        }
    }

    /// A time of `day` in Dazhou (UTC+8), `minute` minutes after midnight, never after now.
    fn stamp(&self, day: NaiveDate, minute: i64) -> DateTime<Utc> {
        let local = day.and_time(NaiveTime::MIN) + Duration::minutes(minute) - Duration::hours(8);
        Utc.from_utc_datetime(&local).min(self.now)
    }

    fn person(&self, rng: &mut ChaCha8Rng) -> String {
        format!("示例·{}{}", pick(rng, &self.surname), pick(rng, &self.given))
    }

    /// The demo account acting for a step, if a demo account holds that role.
    fn account(&self, actor: &str, unit: &str, ent: usize) -> Option<i64> {
        match actor {
            "office" => self.office,
            "handling_unit" => self.accounts.get(unit).copied(),
            "enterprise" => self.demo_ent.filter(|(e, _)| *e == ent).map(|(_, a)| a),
            _ => None,
        }
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> &'a T {
    &v[rng.random_range(0..v.len())]
}

fn shuffle<T>(rng: &mut ChaCha8Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// The id range of a batch, for its audit entry.
fn span(v: &[i64]) -> String {
    match (v.iter().min(), v.iter().max()) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => "-".to_string(),
    }
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn human_minute(rng: &mut ChaCha8Rng) -> i64 {
    rng.random_range(510..1080)
}

fn fill(t: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(t.to_string(), |s, (k, v)| s.replace(k, v))
}

fn month_end(year: i32, month: u32) -> NaiveDate {
    let next =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MIN)
}

fn quarter_start(year: i32, quarter: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, (quarter - 1) * 3 + 1, 1).unwrap_or(NaiveDate::MIN)
}

fn level_index(l: Level) -> usize {
    match l {
        Level::County => 0,
        Level::LeadDepartment => 1,
        Level::Chief => 2,
    }
}

// ---------------------------------------------------------------- problems and their histories

/// What the handling unit at a level does, in working days from the day the problem reached it.
#[derive(Clone, Copy, Debug)]
enum Main {
    Answer(u32),
    /// Lets the deadline pass (the sweep escalates it; at the chief it stays open).
    Lapse,
    Escalate(u32),
    Reject(u32),
    Withdraw(u32),
}

impl Main {
    fn workdays(self) -> Option<u32> {
        match self {
            Main::Answer(k) | Main::Escalate(k) | Main::Reject(k) | Main::Withdraw(k) => Some(k),
            Main::Lapse => None,
        }
    }
}

/// What the enterprise does with an answer, in working days after it.
#[derive(Clone, Copy, Debug)]
enum Rate {
    Confirm(u32, i64),
    Reopen(u32),
    /// Leaves it unrated: the sweep closes it after the rating window.
    Silent,
}

#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Working days to accept at each level; `None`: never accepted there.
    accept: [Option<u32>; 3],
    main: [Main; 3],
    /// After reopening.
    again: Main,
    /// The first answer's fate, and the fate of an answer after reopening.
    rate: [Rate; 2],
    reopen_by_office: bool,
}

fn draw_rating(rng: &mut ChaCha8Rng) -> i64 {
    match rng.random_range(0..100) {
        0..50 => 5,
        50..80 => 4,
        80..91 => 3,
        91..97 => 2,
        _ => 1,
    }
}

fn draw_plan(rng: &mut ChaCha8Rng, allow_final: bool) -> Plan {
    let r: f64 = rng.random();
    let county = if allow_final && r < 0.05 {
        Main::Reject(rng.random_range(1..=3))
    } else if allow_final && r < 0.09 {
        Main::Withdraw(rng.random_range(2..=8))
    } else if r < 0.22 {
        Main::Lapse
    } else if r < 0.36 {
        Main::Escalate(rng.random_range(2..=8))
    } else {
        Main::Answer(rng.random_range(2..=10))
    };
    let accept_county = match county {
        Main::Reject(_) => None,
        Main::Lapse if rng.random_bool(0.4) => None,
        _ => Some(rng.random_range(1..=3)),
    };
    let r: f64 = rng.random();
    let lead = if r < 0.12 {
        Main::Lapse
    } else if r < 0.30 {
        Main::Escalate(rng.random_range(2..=8))
    } else {
        Main::Answer(rng.random_range(2..=10))
    };
    let chief = Main::Answer(rng.random_range(3..=22));
    let r: f64 = rng.random();
    let first = if r < 0.5 {
        Rate::Confirm(rng.random_range(1..=4), draw_rating(rng))
    } else if r < 0.6 {
        Rate::Reopen(rng.random_range(1..=3))
    } else {
        Rate::Silent
    };
    let second = if rng.random_bool(0.6) {
        Rate::Confirm(rng.random_range(1..=4), draw_rating(rng).max(3))
    } else {
        Rate::Silent
    };
    Plan {
        accept: [accept_county, Some(rng.random_range(1..=2)), Some(rng.random_range(1..=2))],
        main: [county, lead, chief],
        again: if rng.random_bool(0.9) { Main::Answer(rng.random_range(2..=8)) } else { Main::Lapse },
        rate: [first, second],
        reopen_by_office: rng.random_bool(0.15),
    }
}

struct Draft {
    chain: usize,
    ent: usize,
    category: Category,
    tpl: usize,
    impact: usize,
    source: Source,
    hotline_ref: String,
    visit: Option<usize>,
    raised_on: NaiveDate,
    plan: Plan,
}

impl Draft {
    fn tpl(&self) -> Tpl {
        templates(self.category)[self.tpl]
    }
    fn title(&self) -> &'static str {
        self.tpl().1
    }
    fn description(&self) -> String {
        format!("{}{}", self.tpl().2, IMPACT[self.impact])
    }
}

/// A problem's state (the columns `set_state` writes).
#[derive(Clone, Debug)]
struct St {
    status: Status,
    level: Level,
    unit: String,
    level_since: NaiveDate,
    deadline: NaiveDate,
    lapsed: Vec<String>,
    answer: String,
    answered_on: Option<NaiveDate>,
    rating: Option<i64>,
    rating_note: String,
    closed_on: Option<NaiveDate>,
    reopened: i64,
}

/// One step of a problem's history.
#[derive(Clone, Debug)]
struct Step {
    on: NaiveDate,
    action: &'static str,
    actor: &'static str,
    from_status: Option<Status>,
    to_status: Status,
    from_level: Option<Level>,
    to_level: Level,
    unit: String,
    text: String,
    rating: Option<i64>,
    /// The deadline after the step.
    deadline: NaiveDate,
}

struct Sim {
    st: St,
    steps: Vec<Step>,
}

impl Sim {
    /// (status, level, deadline) at the end of `day`, if raised by then.
    fn at(&self, day: NaiveDate) -> Option<(Status, Level, NaiveDate)> {
        self.steps.iter().take_while(|s| s.on <= day).last().map(|s| (s.to_status, s.to_level, s.deadline))
    }
}

/// Plays a problem's plan through the rules up to today.
fn simulate(w: &World, d: &Draft, rng: &mut ChaCha8Rng) -> Sim {
    let region = w.ents[d.ent].region.clone();
    let dept = w.name(d.category.department());
    let raised = d.raised_on;
    let deadline = w.limits.deadline(&w.cal, Level::County, raised);
    let mut st = St {
        status: Status::Submitted,
        level: Level::County,
        unit: region.clone(),
        level_since: raised,
        deadline,
        lapsed: Vec::new(),
        answer: String::new(),
        answered_on: None,
        rating: None,
        rating_note: String::new(),
        closed_on: None,
        reopened: 0,
    };
    let mut steps = vec![Step {
        on: raised,
        action: "raise",
        actor: if d.source == Source::Portal { "enterprise" } else { "office" },
        from_status: None,
        to_status: Status::Submitted,
        from_level: None,
        to_level: Level::County,
        unit: region.clone(),
        text: format!("{}提出，转{}办理，期限 {deadline}", d.source.label(), w.name(&region)),
        rating: None,
        deadline,
    }];
    #[allow(clippy::too_many_arguments)]
    fn push(
        steps: &mut Vec<Step>,
        st: &St,
        on: NaiveDate,
        action: &'static str,
        actor: &'static str,
        from: (Status, Level),
        text: String,
        rating: Option<i64>,
    ) {
        steps.push(Step {
            on,
            action,
            actor,
            from_status: Some(from.0),
            to_status: st.status,
            from_level: Some(from.1),
            to_level: st.level,
            unit: st.unit.clone(),
            text,
            rating,
            deadline: st.deadline,
        });
    }
    let p = d.plan;
    let today = w.today;
    let mut reopened_phase = false;
    loop {
        let li = level_index(st.level);
        let main = if reopened_phase { p.again } else { p.main[li] };
        let main_day = main.workdays().map(|k| w.cal.add_workdays(st.level_since, k));
        if st.status == Status::Submitted
            && !matches!(main, Main::Reject(_))
            && let Some(a) = p.accept[li]
        {
            let day = w.cal.add_workdays(st.level_since, a);
            if day <= today && main_day.is_none_or(|m| day <= m) && (st.level == Level::Chief || day <= st.deadline) {
                let from = (st.status, st.level);
                st.status = Status::Accepted;
                let accept: &str = ACCEPT[rng.random_range(0..ACCEPT.len())];
                let text = fill(accept, &[("{dept}", &dept)]);
                push(&mut steps, &st, day, "accept", "handling_unit", from, text, None);
            }
        }
        let lapses = st.level != Level::Chief && main_day.is_none_or(|m| m > st.deadline);
        if lapses {
            // What the daily sweep does the day after the deadline.
            let Some(esc) =
                dpr::auto_escalations(&w.cal, &w.limits, st.status, st.level, st.level_since, today).into_iter().next()
            else {
                break;
            };
            if !st.lapsed.contains(&st.unit) {
                st.lapsed.push(st.unit.clone());
            }
            let from = (st.status, st.level);
            st.level = esc.to;
            st.unit = w.unit_at(d, esc.to);
            st.level_since = esc.on;
            st.deadline = esc.deadline;
            push(&mut steps, &st, esc.on, "escalate", "system", from, esc.reason(), None);
            reopened_phase = false;
            continue;
        }
        let Some(m) = main_day else { break };
        if m > today {
            break;
        }
        match main {
            Main::Answer(_) => {
                if st.status == Status::Submitted {
                    let from = (st.status, st.level);
                    st.status = Status::Accepted;
                    let accept: &str = ACCEPT[rng.random_range(0..ACCEPT.len())];
                    let text = fill(accept, &[("{dept}", &dept)]);
                    push(&mut steps, &st, m, "accept", "handling_unit", from, text, None);
                }
                let prefix = match st.level {
                    Level::County => "",
                    Level::LeadDepartment => "经牵头部门会同相关部门研究，",
                    Level::Chief => "经链长专题调度，",
                };
                let all = answers(d.category);
                let answer: &str = all[rng.random_range(0..all.len())];
                let body = fill(answer, &[("{unit}", &w.name(&st.unit)), ("{dept}", &dept)]);
                let text = format!("{prefix}{body}");
                let from = (st.status, st.level);
                st.status = Status::Answered;
                st.answer = text.clone();
                st.answered_on = Some(m);
                push(&mut steps, &st, m, "answer", "handling_unit", from, text, None);
                let rate = if st.reopened > 0 { p.rate[1] } else { p.rate[0] };
                match rate {
                    Rate::Confirm(k, r) => {
                        let day = w.cal.add_workdays(m, k);
                        if day <= today {
                            let note = pick(rng, rating_note(r)).to_string();
                            let from = (st.status, st.level);
                            st.status = Status::Closed;
                            st.rating = Some(r);
                            st.rating_note = note.clone();
                            st.closed_on = Some(day);
                            push(&mut steps, &st, day, "confirm", "enterprise", from, note, Some(r));
                        }
                        break;
                    }
                    Rate::Reopen(k) if st.reopened == 0 => {
                        let day = w.cal.add_workdays(m, k);
                        if day > today {
                            break;
                        }
                        let (actor, text) = if p.reopen_by_office {
                            ("office", REOPEN_OFFICE.to_string())
                        } else {
                            ("enterprise", pick(rng, &REOPEN_ENTERPRISE).to_string())
                        };
                        let from = (st.status, st.level);
                        st.status = Status::Accepted;
                        st.reopened += 1;
                        st.level_since = day;
                        st.deadline = w.limits.deadline(&w.cal, st.level, day);
                        st.closed_on = None;
                        push(&mut steps, &st, day, "reopen", actor, from, text, None);
                        reopened_phase = true;
                        continue;
                    }
                    _ => {
                        let day = w.cal.add_workdays(m, dpr::RATING_WINDOW_WORKDAYS).succ_opt().unwrap_or(m);
                        if day <= today {
                            let from = (st.status, st.level);
                            st.status = Status::Closed;
                            st.closed_on = Some(day);
                            let text =
                                format!("答复后 {} 个工作日内企业未评价，系统自动办结", dpr::RATING_WINDOW_WORKDAYS);
                            push(&mut steps, &st, day, "auto_close", "system", from, text, None);
                        }
                        break;
                    }
                }
            }
            Main::Escalate(_) => {
                let Some(to) = st.level.next() else { break };
                let reasons: &[&str] = if st.level == Level::County { &ESCALATE_COUNTY } else { &ESCALATE_LEAD };
                let text = pick(rng, reasons).to_string();
                let actor = if rng.random_bool(0.8) { "handling_unit" } else { "office" };
                let from = (st.status, st.level);
                st.level = to;
                st.unit = w.unit_at(d, to);
                st.level_since = m;
                st.deadline = w.limits.deadline(&w.cal, to, m);
                push(&mut steps, &st, m, "escalate", actor, from, text, None);
                reopened_phase = false;
            }
            Main::Reject(_) => {
                let from = (st.status, st.level);
                st.status = Status::Rejected;
                st.closed_on = Some(m);
                push(&mut steps, &st, m, "reject", "handling_unit", from, pick(rng, &REJECT).to_string(), None);
                break;
            }
            Main::Withdraw(_) => {
                let from = (st.status, st.level);
                st.status = Status::Withdrawn;
                st.closed_on = Some(m);
                push(&mut steps, &st, m, "withdraw", "enterprise", from, pick(rng, &WITHDRAW).to_string(), None);
                break;
            }
            Main::Lapse => break,
        }
    }
    Sim { st, steps }
}

// ---------------------------------------------------------------- visits and tasks

struct VisitDraft {
    chain: usize,
    kind: &'static str,
    visitor: String,
    on: NaiveDate,
    place: String,
    ents: Vec<usize>,
    general: usize,
    /// Indices of the problems recorded after it.
    problems: Vec<usize>,
    task: bool,
    code: String,
    id: i64,
}

/// How a task ends up (by today).
struct Fate {
    status: &'static str,
    done_on: Option<NaiveDate>,
    result: String,
    /// (day, kind, text) in order; the last is the closing one when closed.
    reports: Vec<(NaiveDate, &'static str, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Force {
    None,
    Late,
    Overdue,
}

fn task_fate(w: &World, rng: &mut ChaCha8Rng, created: NaiveDate, due: NaiveDate, force: Force) -> Fate {
    let today = w.today;
    let last = today.pred_opt().unwrap_or(today);
    let r: f64 = rng.random();
    let (mut status, mut done_on) = ("open", None);
    if due < today {
        if force == Force::Late || (force == Force::None && r < 0.18) {
            let d = due + days(rng.random_range(3..=30));
            let d = if force == Force::Late { d.min(last) } else { d };
            if d < today && d > due {
                (status, done_on) = ("done", Some(d));
            }
        } else if force == Force::Overdue || r < 0.27 {
            // Still open past its deadline.
        } else if r < 0.30 {
            let span = (due - created).num_days().max(2);
            (status, done_on) = ("cancelled", Some(created + days(rng.random_range(1..span))));
        } else {
            let span = (due - created).num_days().clamp(2, 21);
            (status, done_on) = ("done", Some(due - days(rng.random_range(0..span - 1))));
        }
    } else if r < 0.25 && created + days(5) < last {
        let span = (last - created).num_days();
        (status, done_on) = ("done", Some(created + days(rng.random_range(5..=span))));
    }
    let end = done_on.unwrap_or(today);
    let mut reports = Vec::new();
    let mut d = created + days(rng.random_range(10..=16));
    while d < end && d < today && reports.len() < 3 {
        reports.push((d, "progress", pick(rng, &PROGRESS).to_string()));
        d += days(rng.random_range(14..=24));
    }
    let sup = due + days(rng.random_range(2..=5));
    if sup < end && sup < today && status != "cancelled" {
        reports.push((sup, "supervision", pick(rng, &SUPERVISION).to_string()));
    }
    reports.sort_by_key(|r| r.0);
    let result = match status {
        "done" => pick(rng, &DONE).to_string(),
        "cancelled" => CANCELLED.to_string(),
        _ => String::new(),
    };
    if let Some(on) = done_on {
        let kind = if status == "done" { "done" } else { "cancel" };
        reports.push((on, kind, result.clone()));
    }
    Fate { status, done_on, result, reports }
}

struct TaskDraft {
    chain: usize,
    meeting_id: Option<i64>,
    visit_id: Option<i64>,
    problem_id: Option<i64>,
    decision: String,
    title: String,
    unit: String,
    person: String,
    created: NaiveDate,
    due: NaiveDate,
    evidence: String,
    fate: Fate,
}

/// A task as the agendas of later meetings see it.
struct TaskMem {
    id: i64,
    code: String,
    chain: usize,
    title: String,
    unit: String,
    created: NaiveDate,
    due: NaiveDate,
    closed: Option<NaiveDate>,
}

struct GroupMem {
    id: i64,
    chain: usize,
    category: Category,
    title: String,
    members: Vec<usize>,
}

/// Codes `{prefix}-{year}-N` handed out in order, continuing what the database holds.
#[derive(Default)]
struct Codes {
    next: BTreeMap<(&'static str, i32), i64>,
}

impl Codes {
    async fn take(&mut self, tx: &mut store::Tx, table: &'static str, prefix: &'static str, year: i32) -> Result<i64> {
        let n = match self.next.get(&(prefix, year)) {
            Some(n) => *n,
            None => spr::last_code_seq(tx, table, prefix, year).await? + 1,
        };
        self.next.insert((prefix, year), n + 1);
        Ok(n)
    }
}

// ---------------------------------------------------------------- generating

impl App {
    async fn problem_world(&self) -> Result<World> {
        let db = &self.db;
        let chains: Vec<(i64, String, String, String)> =
            Sql::new("SELECT id, code, name, lead_department_code FROM chain ORDER BY id").fetch_all(db).await?;
        let carrying: Vec<(i64, String)> = Sql::new(
            "SELECT chain_id, region_code FROM chain_region WHERE role = 'carrying' ORDER BY chain_id, region_code",
        )
        .fetch_all(db)
        .await?;
        let rows: Vec<EntRow> = Sql::new(
            "SELECT ec.chain_id, e.id, e.uscc, e.name, e.region_code, e.park_code, e.contact_name, e.contact_phone \
             FROM enterprise_chain ec JOIN enterprise e ON e.id = ec.enterprise_id \
             WHERE e.archived = FALSE AND e.is_demo = TRUE ORDER BY ec.chain_id, e.id",
        )
        .fetch_all(db)
        .await?;
        let mut ents: Vec<EntW> = Vec::new();
        let mut by_id: HashMap<i64, usize> = HashMap::new();
        let mut by_uscc: HashMap<String, usize> = HashMap::new();
        let mut chain_ents: HashMap<i64, Vec<usize>> = HashMap::new();
        for (chain_id, id, uscc, name, region, park, contact, phone) in rows {
            let i = *by_id.entry(id).or_insert_with(|| {
                ents.push(EntW { id, name, region: park.unwrap_or(region), contact: format!("{contact} {phone}") });
                ents.len() - 1
            });
            by_uscc.insert(uscc, i);
            chain_ents.entry(chain_id).or_default().push(i);
        }
        let mut names: HashMap<String, String> = HashMap::new();
        for r in self.regions().await? {
            names.insert(r.code, r.name);
        }
        for d in self.departments().await? {
            names.insert(d.code, d.name);
        }
        let chains: Vec<ChainW> = chains
            .into_iter()
            .map(|(id, code, name, lead)| {
                names.insert(code.clone(), format!("{name}产业链链长"));
                ChainW {
                    carrying: carrying.iter().filter(|c| c.0 == id).map(|c| c.1.clone()).collect(),
                    ents: chain_ents.remove(&id).unwrap_or_default(),
                    id,
                    code,
                    name,
                    lead,
                }
            })
            .filter(|c| !c.ents.is_empty())
            .collect();
        let mut accounts = HashMap::new();
        let (mut office, mut demo_ent) = (None, None);
        for username in ["demo.office", "demo.chief", "demo.leaddept", "demo.unit", "demo.region", "demo.enterprise"] {
            let Some(a) = store::account::by_username(db, username).await? else { continue };
            if username == "demo.office" {
                office = Some(a.id);
                continue;
            }
            for g in store::account::grants(db, a.id).await? {
                let Some(scope) = g.scope else { continue };
                if username == "demo.enterprise" {
                    demo_ent = by_uscc.get(&scope).map(|e| (*e, a.id));
                } else {
                    accounts.insert(scope, a.id);
                }
            }
        }
        let (mut surname, mut given) = (Vec::new(), Vec::new());
        for line in WORDS_CSV.lines().skip(1) {
            let (k, v) = line.split_once(',').unwrap_or(("", ""));
            match k.trim() {
                "surname" => surname.push(v.trim().to_string()),
                "given" => given.push(v.trim().to_string()),
                _ => {}
            }
        }
        if surname.is_empty() || given.is_empty() {
            return Err(AppError::Internal("demo word lists are incomplete".into()));
        }
        Ok(World {
            today: self.today(),
            now: self.now(),
            cal: self.work_calendar().await?,
            limits: self.problem_limits().await?,
            chains,
            ents,
            names,
            accounts,
            office,
            demo_ent,
            surname,
            given,
        })
    }

    /// Seeds the demo problems, visits, meetings, tasks and plans (see the module's note).
    pub(crate) async fn seed_demo_problems(&self, actor: &Actor, seed: u64) -> Result<ProblemsSeeded> {
        let mut out = ProblemsSeeded::default();
        let w = self.problem_world().await?;
        if w.chains.is_empty() {
            return Ok(out);
        }
        for c in Category::ALL {
            for (sub, _, _) in templates(c) {
                if c.subcategory(sub).is_none() {
                    return Err(AppError::Internal(format!("demo problems: {sub} is not a sub-category of {c}")));
                }
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5052_4f42_4c45_4d53);
        let today = w.today;
        let now = w.now;

        // ---- visits (first: some problems come from them)
        let mut visits: Vec<VisitDraft> = Vec::new();
        for (ci, c) in w.chains.iter().enumerate() {
            let n = rng.random_range(2..=4);
            for k in 0..n {
                let back = rng.random_range(5..360);
                let mut on = w.cal.adjust_to_workday(today - days(back)).0;
                if on >= today {
                    on = today - days(back);
                }
                let kind = if k == 0 || rng.random_bool(0.4) { "chief" } else { "department" };
                let visitor = if kind == "chief" {
                    format!("示例·{}产业链链长（市政府副市长）", c.name)
                } else {
                    format!("示例·{}调研组", w.name(&c.lead))
                };
                let place = if c.carrying.is_empty() {
                    w.ents[*pick(&mut rng, &c.ents)].region.clone()
                } else {
                    pick(&mut rng, &c.carrying).clone()
                };
                let mut here: Vec<usize> = c.ents.iter().copied().filter(|e| w.ents[*e].region == place).collect();
                if here.len() < 2 {
                    here = c.ents.clone();
                }
                shuffle(&mut rng, &mut here);
                here.truncate(rng.random_range(2..=4));
                visits.push(VisitDraft {
                    chain: ci,
                    kind,
                    visitor,
                    on,
                    place,
                    ents: here,
                    general: rng.random_range(0..GENERAL_FINDINGS.len()),
                    problems: Vec::new(),
                    task: rng.random_bool(0.5),
                    code: String::new(),
                    id: 0,
                });
            }
        }
        visits.sort_by_key(|v| (v.on, v.chain));

        // ---- problems
        let mut drafts: Vec<Draft> = Vec::new();
        let mut raised: HashMap<(usize, Category, usize), Vec<NaiveDate>> = HashMap::new();
        let mut fresh = |ent: usize, cat: Category, tpl: usize, on: NaiveDate| -> bool {
            let seen = raised.entry((ent, cat, tpl)).or_default();
            if seen.iter().any(|d| (*d - on).num_days().abs() <= dpr::CHAIN_WIDE_WINDOW_DAYS) {
                return false;
            }
            seen.push(on);
            true
        };
        let total_weight: u32 = CATEGORY_WEIGHTS.iter().map(|c| c.1).sum();
        let draw_category = |rng: &mut ChaCha8Rng| -> Category {
            let mut x = rng.random_range(0..total_weight);
            for (c, wt) in CATEGORY_WEIGHTS {
                if x < wt {
                    return c;
                }
                x -= wt;
            }
            Category::Other
        };
        let mut tickets = BTreeSet::new();
        let mut ticket = |rng: &mut ChaCha8Rng, on: NaiveDate| -> String {
            loop {
                let t = format!("12345-{}-{:06}", on.year(), rng.random_range(1..1_000_000));
                if tickets.insert(t.clone()) {
                    return t;
                }
            }
        };
        for _ in 0..RANDOM_PROBLEMS {
            let chain = rng.random_range(0..w.chains.len());
            let on = today - days(rng.random_range(0..365));
            let category = draw_category(&mut rng);
            let mut ent = *pick(&mut rng, &w.chains[chain].ents);
            let mut tpl = rng.random_range(0..8);
            for _ in 0..8 {
                if fresh(ent, category, tpl, on) {
                    break;
                }
                ent = *pick(&mut rng, &w.chains[chain].ents);
                tpl = rng.random_range(0..8);
            }
            let hotline = rng.random_bool(0.12);
            drafts.push(Draft {
                chain,
                ent,
                category,
                tpl,
                impact: rng.random_range(0..IMPACT.len()),
                source: if hotline { Source::Hotline } else { Source::Portal },
                hotline_ref: if hotline { ticket(&mut rng, on) } else { String::new() },
                visit: None,
                raised_on: on,
                plan: draw_plan(&mut rng, true),
            });
        }
        // Chain-wide clusters.
        let mut cluster_chains: Vec<usize> = (0..w.chains.len()).filter(|c| w.chains[*c].ents.len() >= 6).collect();
        shuffle(&mut rng, &mut cluster_chains);
        for (chain, (category, tpl)) in cluster_chains.into_iter().zip(CLUSTERS) {
            let mut members = w.chains[chain].ents.clone();
            shuffle(&mut rng, &mut members);
            members.truncate(rng.random_range(3..=5));
            let base = today - days(rng.random_range(15..330));
            for ent in members {
                let on = (base + days(rng.random_range(0..=25))).min(today);
                if !fresh(ent, category, tpl, on) {
                    continue;
                }
                let hotline = rng.random_bool(0.15);
                drafts.push(Draft {
                    chain,
                    ent,
                    category,
                    tpl,
                    impact: rng.random_range(0..IMPACT.len()),
                    source: if hotline { Source::Hotline } else { Source::Portal },
                    hotline_ref: if hotline { ticket(&mut rng, on) } else { String::new() },
                    visit: None,
                    raised_on: on,
                    plan: draw_plan(&mut rng, false),
                });
            }
        }
        // Found on visits.
        for (vi, v) in visits.iter_mut().enumerate() {
            let n = match rng.random_range(0..100) {
                0..25 => 0,
                25..70 => 1,
                _ => 2,
            };
            let mut said: Vec<(Category, usize)> = Vec::new();
            for ent in v.ents.iter().copied().take(n) {
                let category = draw_category(&mut rng);
                let mut tpl = rng.random_range(0..8);
                if said.contains(&(category, tpl)) {
                    tpl = (tpl + 1) % 8;
                }
                said.push((category, tpl));
                let on = (v.on + days(rng.random_range(0..=2))).min(today);
                if !fresh(ent, category, tpl, on) {
                    continue;
                }
                v.problems.push(drafts.len());
                drafts.push(Draft {
                    chain: v.chain,
                    ent,
                    category,
                    tpl,
                    impact: 5,
                    source: Source::Visit,
                    hotline_ref: String::new(),
                    visit: Some(vi),
                    raised_on: on,
                    plan: draw_plan(&mut rng, false),
                });
            }
        }
        // A few fixed cases, so that every status and level is there whatever the seed: just
        // raised (待受理), answered and waiting for the rating (已答复), open at the chief past
        // its deadline (red).
        let portal = |rng: &mut ChaCha8Rng,
                      chain: usize,
                      ent: usize,
                      category: Category,
                      tpl: usize,
                      on: NaiveDate,
                      plan: Plan| Draft {
            chain,
            ent,
            category,
            tpl,
            impact: rng.random_range(0..IMPACT.len()),
            source: Source::Portal,
            hotline_ref: String::new(),
            visit: None,
            raised_on: on,
            plan,
        };
        for k in 0..3 {
            let chain = rng.random_range(0..w.chains.len());
            let ent = *pick(&mut rng, &w.chains[chain].ents);
            let mut plan = draw_plan(&mut rng, false);
            plan.accept[0] = Some(1 + k);
            plan.main[0] = Main::Answer(5);
            let on = today - days(i64::from(k) / 2);
            let category = draw_category(&mut rng);
            let Some(tpl) = (0..8).map(|t| (t + k as usize) % 8).find(|t| fresh(ent, category, *t, on)) else {
                continue;
            };
            drafts.push(portal(&mut rng, chain, ent, category, tpl, on, plan));
        }
        for back in [10, 13] {
            let on = today - days(back);
            let mut answer_day = today.pred_opt().unwrap_or(today);
            while !w.cal.is_workday(answer_day) && answer_day > on {
                answer_day = answer_day.pred_opt().unwrap_or(on);
            }
            let k = w.cal.workdays_between(on, answer_day);
            if !(2..=10).contains(&k) {
                continue;
            }
            let chain = rng.random_range(0..w.chains.len());
            let ent = *pick(&mut rng, &w.chains[chain].ents);
            let mut plan = draw_plan(&mut rng, false);
            plan.accept[0] = Some(1);
            plan.main[0] = Main::Answer(k as u32);
            plan.rate[0] = Rate::Silent;
            let category = draw_category(&mut rng);
            let Some(tpl) = (0..8).find(|t| fresh(ent, category, *t, on)) else { continue };
            drafts.push(portal(&mut rng, chain, ent, category, tpl, on, plan));
        }
        for back in [70, 95] {
            let chain = rng.random_range(0..w.chains.len());
            let ent = *pick(&mut rng, &w.chains[chain].ents);
            let mut plan = draw_plan(&mut rng, false);
            plan.accept = [Some(2), Some(1), Some(1)];
            plan.main = [Main::Lapse, Main::Lapse, Main::Answer(60)];
            let category = draw_category(&mut rng);
            let on = today - days(back);
            let Some(tpl) = (0..8).find(|t| fresh(ent, category, *t, on)) else { continue };
            drafts.push(portal(&mut rng, chain, ent, category, tpl, on, plan));
        }
        // The demo enterprise account's own problems.
        if let Some((ent, _)) = w.demo_ent
            && let Some(chain) = w.chains.iter().position(|c| c.ents.contains(&ent))
        {
            for (back, category, tpl) in [
                (300, Category::Funds, 0),
                (170, Category::Talent, 0),
                (60, Category::Energy, 0),
                (8, Category::Logistics, 1),
            ] {
                let on = today - days(back);
                if fresh(ent, category, tpl, on) {
                    let plan = draw_plan(&mut rng, false);
                    drafts.push(portal(&mut rng, chain, ent, category, tpl, on, plan));
                }
            }
        }

        // ---- histories
        let sims: Vec<Sim> = drafts.iter().map(|d| simulate(&w, d, &mut rng)).collect();
        let mut order: Vec<usize> = (0..drafts.len()).collect();
        order.sort_by_key(|i| (drafts[*i].raised_on, *i));

        // ---- write visits, problems, groups and the visits' tasks
        let mut codes = Codes::default();
        let mut tx = self.db.begin().await?;
        let mut visit_ids = Vec::new();
        for v in visits.iter_mut() {
            let seq = codes.take(&mut tx, "visit", "DY", v.on.year()).await?;
            v.code = format!("DY-{}-{seq:04}", v.on.year());
        }
        for v in visits.iter_mut() {
            let c = &w.chains[v.chain];
            let names: Vec<&str> = v.ents.iter().map(|e| w.ents[*e].name.as_str()).collect();
            let mut findings = format!(
                "{}一行深入{}{}户企业开展调研，实地察看了企业生产经营和项目建设情况，听取了企业意见建议。调研发现：",
                v.visitor,
                w.name(&v.place),
                v.ents.len()
            );
            let mut points: Vec<String> = v
                .problems
                .iter()
                .map(|p| format!("{}反映{}", w.ents[drafts[*p].ent].name, drafts[*p].title()))
                .collect();
            points.push(GENERAL_FINDINGS[v.general].to_string());
            let ordinals = ["一是", "二是", "三是", "四是"];
            let parts: Vec<String> = points.iter().zip(ordinals).map(|(p, o)| format!("{o}{p}")).collect();
            findings.push_str(&parts.join("；"));
            findings.push_str(&format!(
                "。调研要求，{}要会同属地抓紧研究解决企业反映的问题，共性问题纳入{}产业链链长推进会议研究。",
                w.name(&c.lead),
                c.name
            ));
            let nv = sm::NewVisit {
                code: v.code.clone(),
                chain_id: c.id,
                visitor: v.visitor.clone(),
                kind: v.kind.into(),
                visited_on: v.on,
                places: format!("示例·{}调研点：{}", w.name(&v.place), names.join("、")),
                findings,
            };
            let at = w.stamp(v.on + days(1), human_minute(&mut rng));
            v.id = sm::insert_visit(&mut tx, &nv, at, w.office).await?;
            visit_ids.push(v.id);
        }
        out.visits = visits.len();

        let mut ids = vec![0i64; drafts.len()];
        let mut pcodes = vec![String::new(); drafts.len()];
        let mut last_at: Vec<DateTime<Utc>> = vec![now; drafts.len()];
        let mut events = 0usize;
        for &i in &order {
            let d = &drafts[i];
            let sim = &sims[i];
            let (sub, title, _) = d.tpl();
            let description = d.description();
            let seq = codes.take(&mut tx, "problem", "WT", d.raised_on.year()).await?;
            let region = w.ents[d.ent].region.clone();
            let source_ref = match (d.source, d.visit) {
                (Source::Visit, Some(v)) => visits[v].code.clone(),
                (Source::Hotline, _) => d.hotline_ref.clone(),
                _ => String::new(),
            };
            let raise = &sim.steps[0];
            let raised_by = w.account(raise.actor, &region, d.ent);
            let contact = if d.source == Source::Hotline {
                format!("来电人：{}", w.ents[d.ent].contact)
            } else {
                w.ents[d.ent].contact.clone()
            };
            let np = spr::NewProblem {
                code: format!("WT-{}-{seq:05}", d.raised_on.year()),
                enterprise_id: Some(w.ents[d.ent].id),
                enterprise_name: w.ents[d.ent].name.clone(),
                chain_id: Some(w.chains[d.chain].id),
                region_code: region.clone(),
                category: d.category.code().into(),
                subcategory: sub.into(),
                title: title.into(),
                description: description.clone(),
                contact: contact.chars().take(100).collect(),
                source: d.source.code().into(),
                source_ref,
                dedup_key: dpr::dedup_key(&format!("{title}{description}")),
                level: Level::County.code().into(),
                unit_code: region.clone(),
                co_unit_code: d.category.department().into(),
                raised_on: d.raised_on,
                deadline: raise.deadline,
                raised_by,
            };
            let minute = if d.source == Source::Portal { rng.random_range(480..1320) } else { human_minute(&mut rng) };
            let mut at = w.stamp(d.raised_on, minute);
            let id = spr::insert(&mut tx, &np, at).await?;
            ids[i] = id;
            pcodes[i] = np.code.clone();
            let mut prev_unit = region.as_str();
            for (k, s) in sim.steps.iter().enumerate() {
                if k > 0 {
                    let minute = if s.actor == "system" { rng.random_range(120..140) } else { human_minute(&mut rng) };
                    let t = w.stamp(s.on, minute);
                    at = if t > at { t } else { (at + Duration::minutes(1)).min(now) };
                }
                // A unit escalating by hand acts as the unit it was.
                let acting = if s.action == "escalate" { prev_unit } else { s.unit.as_str() };
                prev_unit = s.unit.as_str();
                let ev = spr::NewEvent {
                    problem_id: id,
                    action: s.action,
                    actor: s.actor,
                    account_id: w.account(s.actor, acting, d.ent),
                    from_status: s.from_status.map(Status::code),
                    to_status: s.to_status.code(),
                    from_level: s.from_level.map(Level::code),
                    to_level: s.to_level.code(),
                    unit_code: &s.unit,
                    text: &s.text,
                    rating: s.rating,
                };
                spr::insert_event(&mut tx, &ev, at).await?;
                events += 1;
            }
            last_at[i] = at;
            if sim.steps.len() > 1 {
                let s = &sim.st;
                let state = spr::ProblemState {
                    status: s.status.code().into(),
                    level: s.level.code().into(),
                    unit_code: s.unit.clone(),
                    level_since: s.level_since,
                    deadline: s.deadline,
                    lapsed_units: s.lapsed.join(","),
                    answer: s.answer.clone(),
                    answered_on: s.answered_on,
                    rating: s.rating,
                    rating_note: s.rating_note.clone(),
                    closed_on: s.closed_on,
                    reopened: s.reopened,
                };
                spr::set_state(&mut tx, id, 1, &state, at).await?;
            }
        }
        out.problems = drafts.len();

        // Chain-wide groups, as `App::group_in_tx` finds them.
        let mut buckets: BTreeMap<(usize, Category), Vec<usize>> = BTreeMap::new();
        for &i in &order {
            if !matches!(sims[i].st.status, Status::Withdrawn | Status::Rejected) {
                buckets.entry((drafts[i].chain, drafts[i].category)).or_default().push(i);
            }
        }
        let mut groups: Vec<GroupMem> = Vec::new();
        for ((chain, category), members) in &buckets {
            let items: Vec<dpr::ProblemForGrouping> = members
                .iter()
                .map(|i| dpr::ProblemForGrouping {
                    chain_id: w.chains[*chain].id,
                    category: *category,
                    enterprise_id: w.ents[drafts[*i].ent].id,
                    raised_on: drafts[*i].raised_on,
                    tokens: search::tokenize(&format!("{} {}", drafts[*i].title(), drafts[*i].description())),
                })
                .collect();
            for g in dpr::group_chain_wide(&items) {
                let ms: Vec<usize> = g.iter().map(|k| members[*k]).collect();
                let ents: BTreeSet<i64> = g.iter().map(|k| items[*k].enterprise_id).collect();
                let first = ms.iter().map(|i| drafts[*i].raised_on).min().unwrap_or(today);
                let last = ms.iter().map(|i| drafts[*i].raised_on).max().unwrap_or(today);
                let at = ms.iter().map(|i| last_at[*i]).max().unwrap_or(now);
                let title = format!("{}（{} 家企业反映）", drafts[ms[0]].title(), ents.len());
                let gid = spr::insert_group(
                    &mut tx,
                    w.chains[*chain].id,
                    category.code(),
                    &title,
                    ents.len() as i64,
                    first,
                    last,
                    at,
                )
                .await?;
                let pids: Vec<i64> = ms.iter().map(|i| ids[*i]).collect();
                spr::join_group(&mut tx, gid, &pids, at).await?;
                groups.push(GroupMem {
                    id: gid,
                    chain: *chain,
                    category: *category,
                    title: drafts[ms[0]].title().into(),
                    members: ms,
                });
            }
        }
        out.groups = groups.len();

        // The visits' tasks.
        let mut tasks_mem: Vec<TaskMem> = Vec::new();
        let mut visit_tasks = Vec::new();
        for v in &visits {
            if !v.task {
                continue;
            }
            let c = &w.chains[v.chain];
            let due = w.cal.adjust_to_workday(v.on + days(rng.random_range(30..=45))).0;
            let (title, problem_id, unit) = match v.problems.first() {
                Some(p) => (
                    format!("督促解决{}反映的{}问题", w.ents[drafts[*p].ent].name, drafts[*p].title()),
                    Some(ids[*p]),
                    drafts[*p].category.department().to_string(),
                ),
                None => (format!("推动解决调研发现的问题：{}", GENERAL_FINDINGS[v.general]), None, v.place.clone()),
            };
            let fate = task_fate(&w, &mut rng, v.on, due, Force::None);
            visit_tasks.push(TaskDraft {
                chain: v.chain,
                meeting_id: None,
                visit_id: Some(v.id),
                problem_id,
                decision: format!("{}调研交办（{}）", v.code, c.name),
                title,
                person: format!("{}（{}）", w.person(&mut rng), w.name(&unit)).chars().take(50).collect(),
                unit,
                created: v.on,
                due,
                evidence: pick(&mut rng, &EVIDENCE).to_string(),
                fate,
            });
        }
        let visit_task_ids = self.write_tasks(&mut tx, &w, &mut codes, &mut rng, &visit_tasks, &mut tasks_mem).await?;
        out.tasks += visit_task_ids.len();

        let all_ids: Vec<i64> = order.iter().map(|i| ids[*i]).collect();
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &sims {
            *by_status.entry(s.st.status.code()).or_default() += 1;
            *by_level.entry(s.st.level.code()).or_default() += 1;
        }
        let after = serde_json::json!({"problems": all_ids.len(), "events": events, "by_status": by_status,
            "by_level": by_level, "groups": groups.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(actor, "demo.problems", "problem", span(&all_ids), None, Some(after)),
        )
        .await?;
        let gids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let after =
            serde_json::json!({"groups": gids.len(), "members": groups.iter().map(|g| g.members.len()).sum::<usize>()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(actor, "demo.problems", "problem_group", span(&gids), None, Some(after)),
        )
        .await?;
        let after = serde_json::json!({"visits": visit_ids.len(), "tasks": visit_task_ids.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(actor, "demo.problems", "visit", span(&visit_ids), None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "problem", &all_ids, "upsert", now).await?;
        tx.commit().await?;

        // ---- meetings, quarter by quarter (each sees the tasks of the ones before)
        let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let cq = today.month0() / 3 + 1;
        let mut quarters: Vec<(i32, u32)> = Vec::new();
        let (mut y, mut q) = (today.year(), cq);
        for _ in 0..5 {
            quarters.push((y, q));
            (y, q) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
        }
        quarters.reverse();
        for (qi, (year, quarter)) in quarters.into_iter().enumerate() {
            let start = quarter_start(year, quarter);
            let mut planned = Vec::new();
            for (ci, c) in w.chains.iter().enumerate() {
                let held_on = w.cal.adjust_to_workday(start + days(rng.random_range(35..=75))).0;
                let auto = self.assemble_agenda(c.id, held_on).await?;
                planned.push((ci, held_on, auto));
            }
            let mut tx = self.db.begin().await?;
            let mut meeting_ids = Vec::new();
            let mut task_ids = Vec::new();
            for (ci, held_on, auto) in planned {
                let c = &w.chains[ci];
                let held = held_on < today;
                let items = if held {
                    historical_agenda(&w, ci, held_on, &drafts, &sims, &ids, &pcodes, &groups, &tasks_mem, auto)
                } else {
                    auto
                };
                let chief = w.person(&mut rng);
                let mut units = vec![c.lead.as_str()];
                for u in ["fgw", "czj", "zrzyj"] {
                    if !units.contains(&u) {
                        units.push(u);
                    }
                }
                let attendees = format!(
                    "{chief}（市政府副市长、{}产业链链长），{}（副链长），{}负责同志（示例），{}分管负责同志（示例），融圈强链办（示例）",
                    c.name,
                    w.person(&mut rng),
                    units.iter().map(|u| w.name(u)).collect::<Vec<_>>().join("、"),
                    c.carrying.iter().map(|r| w.name(r)).collect::<Vec<_>>().join("、"),
                );
                let place = match rng.random_range(0..3) {
                    0 => format!("示例·市政府{}号会议室", rng.random_range(1..=6)),
                    1 => format!("示例·{}会议室", w.name(&c.lead)),
                    _ => format!("示例·{}现场会议室", w.name(c.carrying.first().unwrap_or(&c.lead))),
                };
                let created = (held_on - days(14)).max(start).min(today);
                let nm = sm::NewMeeting {
                    chain_id: c.id,
                    year: year.into(),
                    quarter: quarter.into(),
                    title: format!("示例·{}链长推进会议（{year}年第{quarter}季度）", c.name),
                    doc_no: format!("达强链办〔{year}〕{}号", c.id * 10 + i64::from(quarter)),
                    held_on,
                    place: place.clone(),
                    attendees: attendees.clone(),
                };
                let mid = sm::insert_meeting(&mut tx, &nm, w.stamp(created, human_minute(&mut rng)), w.office).await?;
                sm::set_items(&mut tx, mid, &items).await?;
                meeting_ids.push(mid);
                if !held {
                    continue;
                }
                // Decisions, each an assigned task.
                let n = rng.random_range(2..=4);
                let mut decisions: Vec<(String, String, String, String, Option<i64>)> = Vec::new();
                let due_of =
                    |rng: &mut ChaCha8Rng| w.cal.adjust_to_workday(held_on + days(rng.random_range(20..=60))).0;
                let mut dues = Vec::new();
                let problem_items: Vec<usize> = items
                    .iter()
                    .filter(|i| i.0 == "problem")
                    .filter_map(|i| i.1.and_then(|id| index.get(&id).copied()))
                    .filter(|p| sims[*p].at(held_on).is_some_and(|(s, _, _)| s.is_open()))
                    .collect();
                for p in problem_items.iter().take(2) {
                    if decisions.len() >= n {
                        break;
                    }
                    let d = &drafts[*p];
                    let due = due_of(&mut rng);
                    let unit = d.category.department().to_string();
                    let e = &w.ents[d.ent];
                    let text = format!(
                        "关于{}反映的“{}”问题，由{}牵头，会同{}于{}前协调解决，并书面答复企业",
                        e.name,
                        d.title(),
                        w.name(&unit),
                        w.name(&e.region),
                        due.format("%-m月%-d日")
                    );
                    let title = format!("协调解决{}“{}”问题", e.name, d.title());
                    decisions.push((text, title, unit, "协调会议纪要、企业书面确认".into(), Some(ids[*p])));
                    dues.push(due);
                }
                if let Some(g) =
                    items.iter().find(|i| i.0 == "group").and_then(|i| groups.iter().find(|g| Some(g.id) == i.1))
                    && decisions.len() < n
                {
                    let due = due_of(&mut rng);
                    let unit = g.category.department().to_string();
                    let ents: BTreeSet<usize> = g.members.iter().map(|m| drafts[*m].ent).collect();
                    let text = format!(
                        "针对{}家企业反映的“{}”链级共性问题，由{}牵头开展专题研究，{}前提出解决方案报链长审定",
                        ents.len(),
                        g.title,
                        w.name(&unit),
                        due.format("%-m月%-d日")
                    );
                    decisions.push((
                        text,
                        format!("研究解决链级共性问题：{}", g.title),
                        unit,
                        "专题研究报告及解决方案".into(),
                        None,
                    ));
                    dues.push(due);
                }
                if let Some(pj) = items.iter().find(|i| i.0 == "project")
                    && decisions.len() < n
                    && rng.random_bool(0.5)
                {
                    let due = due_of(&mut rng);
                    let name = pj.2.split_once(' ').map(|x| x.1).unwrap_or(pj.2.as_str()).to_string();
                    let text = format!(
                        "对{name}等赋码项目，由{}牵头逐一会商，倒排工期、挂图作战，{}前报送转码情况",
                        w.name(&c.lead),
                        due.format("%-m月%-d日")
                    );
                    decisions.push((
                        text,
                        format!("推动{name}等赋码项目转码"),
                        c.lead.clone(),
                        "会商纪要、项目进度台账".into(),
                        None,
                    ));
                    dues.push(due);
                }
                let mut generic: Vec<usize> = (0..DECISIONS.len()).collect();
                shuffle(&mut rng, &mut generic);
                for k in generic {
                    if decisions.len() >= n {
                        break;
                    }
                    let (text, title, unit, evidence) = DECISIONS[k];
                    let unit = match unit {
                        "lead" => c.lead.clone(),
                        "county" => c.carrying.first().cloned().unwrap_or_else(|| c.lead.clone()),
                        u => u.to_string(),
                    };
                    let due = due_of(&mut rng);
                    let pairs = [
                        ("{unit}", w.name(&unit)),
                        ("{chain}", c.name.clone()),
                        ("{due}", due.format("%-m月%-d日").to_string()),
                    ];
                    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    decisions.push((fill(text, &pairs), fill(title, &pairs), unit, evidence.into(), None));
                    dues.push(due);
                }
                let ordinals = ["一是", "二是", "三是", "四是"];
                let decided: Vec<String> = decisions.iter().zip(ordinals).map(|(d, o)| format!("{o}{}", d.0)).collect();
                let count = |k: &str| items.iter().filter(|i| i.0 == k).count();
                let mut studied = Vec::new();
                for (kind, what) in [
                    ("problem", "个企业反映的问题"),
                    ("group", "个链级共性问题"),
                    ("project", "个滞后和赋码的重点项目"),
                    ("task", "项交办事项落实情况"),
                ] {
                    if count(kind) > 0 {
                        studied.push(format!("{}{what}", count(kind)));
                    }
                }
                if studied.is_empty() {
                    studied.push("本链重点工作推进情况".to_string());
                }
                let minutes = format!(
                    "{year}年{}，{chain}产业链{year}年第{quarter}季度链长推进会议在{place}召开，{chief}主持会议。\n\n\
                     会议听取了{lead}关于{chain}产业链本季度运行和推进情况的汇报，研究了{studied}。会议指出，本季度{chain}产业链总体运行平稳，\
                     重点项目有序推进，但企业在要素保障、市场开拓等方面仍面临困难，部分交办事项推进不够快。\n\n\
                     会议决定：{decided}。\n\n\
                     会议要求，各责任单位要按照清单化、项目化、责任化要求抓好会议决定事项落实，每月 25 日前向融圈强链办报送进展情况；\
                     融圈强链办要加强跟踪督办，确保事项按期办结，办理情况提交下次会议通报。\n\n（示例数据，纪要内容系虚构）",
                    held_on.format("%-m月%-d日"),
                    chain = c.name,
                    lead = w.name(&c.lead),
                    studied = studied.join("、"),
                    decided = decided.join("；"),
                );
                let minutes_on = (held_on + days(rng.random_range(1..=3))).min(today);
                sm::set_minutes(&mut tx, mid, 1, &attendees, &minutes, w.stamp(minutes_on, human_minute(&mut rng)))
                    .await?;
                let mut drafts_t = Vec::new();
                for (k, ((text, title, unit, evidence, problem_id), due)) in decisions.into_iter().zip(dues).enumerate()
                {
                    let force = match (qi, ci, k) {
                        (0, 0, 0) => Force::Late,
                        (1, 0, 0) => Force::Overdue,
                        _ => Force::None,
                    };
                    let fate = task_fate(&w, &mut rng, held_on, due, force);
                    drafts_t.push(TaskDraft {
                        chain: ci,
                        meeting_id: Some(mid),
                        visit_id: None,
                        problem_id,
                        decision: text,
                        title,
                        person: format!("{}（{}）", w.person(&mut rng), w.name(&unit)).chars().take(50).collect(),
                        unit,
                        created: held_on,
                        due,
                        evidence,
                        fate,
                    });
                }
                task_ids.extend(self.write_tasks(&mut tx, &w, &mut codes, &mut rng, &drafts_t, &mut tasks_mem).await?);
            }
            let after = serde_json::json!({"year": year, "quarter": quarter, "meetings": meeting_ids.len()});
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(actor, "demo.problems", "meeting", span(&meeting_ids), None, Some(after)),
            )
            .await?;
            let after = serde_json::json!({"year": year, "quarter": quarter, "tasks": task_ids.len()});
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(actor, "demo.problems", "task", span(&task_ids), None, Some(after)),
            )
            .await?;
            tx.commit().await?;
            out.meetings += meeting_ids.len();
            out.tasks += task_ids.len();
        }

        // ---- plans
        let year = today.year();
        let mut tx = self.db.begin().await?;
        let mut plan_ids = Vec::new();
        let made = w.cal.adjust_to_workday(NaiveDate::from_ymd_opt(year, 1, 10).unwrap_or(today)).0.min(today);
        for c in &w.chains {
            let annual: Vec<(&str, &str)> = ANNUAL_PLAN.iter().map(|(t, u, _)| (*t, *u)).collect();
            for (kind, tpls, lo, hi) in [("action", &ACTION_PLAN[..], 5, 8), ("annual", &annual[..], 6, 10)] {
                let n: usize = rng.random_range(lo..=hi);
                let mut chosen: Vec<usize> = (0..tpls.len()).collect();
                shuffle(&mut rng, &mut chosen);
                chosen.truncate(n);
                chosen.sort_unstable();
                for (k, t) in chosen.into_iter().enumerate() {
                    let (title, unit) = tpls[t];
                    let unit = if unit == "lead" { c.lead.clone() } else { unit.to_string() };
                    let month = if kind == "action" { 1 + (k * 12 / n) as u32 } else { ANNUAL_PLAN[t].2 };
                    let due = month_end(year, month.clamp(1, 12));
                    let ni = sm::NewPlanItem {
                        chain_id: c.id,
                        kind: kind.into(),
                        year: year.into(),
                        title: fill(title, &[("{chain}", &c.name), ("{year}", &year.to_string())]),
                        unit_code: unit.clone(),
                        due_on: due,
                    };
                    let id =
                        sm::insert_plan_item(&mut tx, &ni, w.stamp(made, human_minute(&mut rng)), w.office).await?;
                    plan_ids.push(id);
                    let by = w.accounts.get(&unit).copied().or(w.office);
                    if due < today {
                        let (progress, status) = if rng.random_bool(0.85) {
                            (pick(&mut rng, &PLAN_DONE).to_string(), "done")
                        } else {
                            (
                                format!(
                                    "正在推进，已完成目标任务的约{}%，{}",
                                    rng.random_range(55..=90),
                                    pick(&mut rng, &PROGRESS)
                                ),
                                "open",
                            )
                        };
                        let on = (due - days(rng.random_range(0..10))).min(today).max(made);
                        sm::set_plan_progress(
                            &mut tx,
                            id,
                            1,
                            &progress,
                            status,
                            w.stamp(on, human_minute(&mut rng)),
                            by,
                        )
                        .await?;
                    } else if (due - today).num_days() <= 75 && rng.random_bool(0.5) {
                        let progress = format!("按计划推进中：{}", pick(&mut rng, &PROGRESS));
                        let on = today - days(rng.random_range(1..=20));
                        sm::set_plan_progress(
                            &mut tx,
                            id,
                            1,
                            &progress,
                            "open",
                            w.stamp(on.max(made), human_minute(&mut rng)),
                            by,
                        )
                        .await?;
                    }
                }
            }
        }
        let after = serde_json::json!({"year": year, "plan_items": plan_ids.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(actor, "demo.problems", "plan_item", span(&plan_ids), None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        out.plan_items = plan_ids.len();
        Ok(out)
    }

    /// Writes tasks with their reports and closure; remembers them for later agendas.
    async fn write_tasks(
        &self,
        tx: &mut store::Tx,
        w: &World,
        codes: &mut Codes,
        rng: &mut ChaCha8Rng,
        tasks: &[TaskDraft],
        mem: &mut Vec<TaskMem>,
    ) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for t in tasks {
            let year = t.created.year();
            let seq = codes.take(tx, "task", "JB", year).await?;
            let nt = sm::NewTask {
                code: format!("JB-{year}-{seq:04}"),
                chain_id: w.chains[t.chain].id,
                meeting_id: t.meeting_id,
                visit_id: t.visit_id,
                problem_id: t.problem_id,
                decision: t.decision.clone(),
                title: t.title.chars().take(200).collect(),
                unit_code: t.unit.clone(),
                person: t.person.clone(),
                due_on: t.due,
                evidence: t.evidence.clone(),
            };
            let mut at = w.stamp(t.created, human_minute(rng));
            let id = sm::insert_task(tx, &nt, at, w.office).await?;
            for (version, (on, kind, text)) in (1..).zip(&t.fate.reports) {
                let stamp = w.stamp(*on, human_minute(rng));
                at = if stamp > at { stamp } else { (at + Duration::minutes(1)).min(w.now) };
                let by = if *kind == "supervision" || *kind == "cancel" {
                    w.office
                } else {
                    w.accounts.get(&t.unit).copied()
                };
                match *kind {
                    "done" | "cancel" => {
                        let status = if *kind == "done" { "done" } else { "cancelled" };
                        sm::finish_task(tx, id, version, status, *on, &t.fate.result, at).await?;
                    }
                    _ => {
                        sm::touch_task(tx, id, version, at).await?;
                    }
                }
                sm::insert_task_report(tx, id, kind, text, at, by).await?;
            }
            debug_assert_eq!(t.fate.status == "open", t.fate.done_on.is_none());
            mem.push(TaskMem {
                id,
                code: nt.code,
                chain: t.chain,
                title: nt.title,
                unit: t.unit.clone(),
                created: t.created,
                due: t.due,
                closed: t.fate.done_on,
            });
            out.push(id);
        }
        Ok(out)
    }
}

/// The agenda a past meeting saw on `held`: problems escalated and open then, groups with
/// open members then, tasks open then and due within a month, with `assemble_agenda`'s
/// coded projects and policy item.
#[allow(clippy::too_many_arguments)]
fn historical_agenda(
    w: &World,
    chain: usize,
    held: NaiveDate,
    drafts: &[Draft],
    sims: &[Sim],
    ids: &[i64],
    codes: &[String],
    groups: &[GroupMem],
    tasks: &[TaskMem],
    auto: Vec<(String, Option<i64>, String, String)>,
) -> Vec<(String, Option<i64>, String, String)> {
    let mut items = Vec::new();
    // Problems escalated and open on the day, and those escalated since the last quarter's
    // meeting and settled meanwhile (reported to the meeting).
    let since = held - days(90);
    let mut problems: Vec<(i64, usize, Status, Level, NaiveDate)> = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        if d.chain != chain {
            continue;
        }
        let Some((status, level, deadline)) = sims[i].at(held) else { continue };
        let escalated_lately = sims[i].steps.iter().any(|s| s.action == "escalate" && s.on > since && s.on <= held);
        if level != Level::County && (status.is_open() || escalated_lately) {
            problems.push((ids[i], i, status, level, deadline));
        }
    }
    problems.sort_by_key(|p| p.0);
    for (id, i, status, level, deadline) in problems {
        let d = &drafts[i];
        let note = format!(
            "{}｜{}｜{}层级，期限 {}｜{}",
            w.ents[d.ent].name,
            d.category.label(),
            level.label(),
            deadline,
            status.label()
        );
        items.push(("problem".to_string(), Some(id), format!("{} {}", codes[i], d.title()), note));
    }
    for g in groups.iter().filter(|g| g.chain == chain) {
        let seen: Vec<usize> = g.members.iter().copied().filter(|m| drafts[*m].raised_on <= held).collect();
        let ents: BTreeSet<usize> = seen.iter().map(|m| drafts[*m].ent).collect();
        if ents.len() < dpr::CHAIN_WIDE_MIN_ENTERPRISES {
            continue;
        }
        let open = seen
            .iter()
            .filter(|m| {
                sims[**m]
                    .at(held)
                    .is_some_and(|(s, _, _)| matches!(s, Status::Submitted | Status::Accepted | Status::Answered))
            })
            .count();
        if open == 0 {
            continue;
        }
        let first = seen.iter().map(|m| drafts[*m].raised_on).min().unwrap_or(held);
        let last = seen.iter().map(|m| drafts[*m].raised_on).max().unwrap_or(held);
        let title = format!("{}（{} 家企业反映）", g.title, ents.len());
        let note = format!("{} 家企业反映，{open} 个问题未办结（{first} 至 {last}）", ents.len());
        items.push(("group".into(), Some(g.id), title, note));
    }
    items.extend(auto.iter().filter(|i| i.0 == "project").cloned());
    let horizon = held + days(31);
    for t in tasks.iter().filter(|t| t.chain == chain) {
        let open_then = t.created < held && t.closed.is_none_or(|c| c >= held);
        if open_then && t.due <= horizon {
            let note =
                format!("{}｜期限 {}｜{}", w.name(&t.unit), t.due, if t.due < held { "已逾期" } else { "即将到期" });
            items.push(("task".into(), Some(t.id), format!("{} {}", t.code, t.title), note));
        }
    }
    items.extend(auto.into_iter().filter(|i| i.0 == "policy"));
    items
}
