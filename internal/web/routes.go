package web

import (
	"net/http/pprof"
	"strings"

	"github.com/sahayak/sahayak/internal/auth"
)

// routeTable is the sitemap of Sahayak: every route and who may use it.
func (s *Server) routeTable() {
	// Operations.
	s.handle("GET /healthz", auth.Public, s.healthz)
	s.handle("GET /readyz", auth.Public, s.readyz)
	s.handle("GET /api/v1/openapi.json", auth.Public, s.openAPI)
	s.handle("GET /static/{file...}", auth.Public, s.static)

	// JSON API.
	s.handle("GET /api/v1/me", auth.SignedIn, s.me)
	s.handle("GET /api/v1/tickets", auth.TicketsRead, s.listTickets)
	s.handle("POST /api/v1/tickets", auth.TicketsCreate, s.createTicket)
	s.handle("POST /api/v1/tickets/bulk", auth.TicketsUpdate, s.bulkTickets)
	s.handle("GET /api/v1/tickets/{id}", auth.TicketsRead, s.getTicket)
	s.handle("PATCH /api/v1/tickets/{id}", auth.TicketsUpdate, s.updateTicket)
	s.handle("GET /api/v1/tickets/{id}/messages", auth.TicketsRead, s.listMessages)
	s.handle("POST /api/v1/tickets/{id}/messages", auth.TicketsRead, s.createMessage) // reply or note: the service checks which
	s.handle("GET /api/v1/tickets/{id}/messages/{message_id}", auth.TicketsRead, s.getMessage)
	s.handle("GET /api/v1/attachments/{id}", auth.TicketsRead, s.downloadAttachment)
	s.handle("GET /api/v1/tickets/{id}/events", auth.TicketsRead, s.listEvents)
	s.handle("POST /api/v1/tickets/{id}/escalate", auth.TicketsEscalate, s.escalateTicket)
	s.handle("POST /api/v1/tickets/{id}/deescalate", auth.TicketsEscalate, s.deescalateTicket)
	s.handle("POST /api/v1/tickets/{id}/merge", auth.TicketsMerge, s.mergeTicket)
	s.handle("GET /api/v1/tickets/{id}/links", auth.TicketsRead, s.listLinks)
	s.handle("POST /api/v1/tickets/{id}/links", auth.TicketsUpdate, s.linkTicket)
	s.handle("POST /api/v1/tickets/{id}/follow", auth.TicketsRead, s.followTicket)
	s.handle("GET /api/v1/tickets/{id}/satisfaction", auth.TicketsRead, s.ticketSatisfaction)

	s.handle("GET /api/v1/reports/kpis", auth.ReportsRead, s.reportKPIs) // scoped: own, teams or all (report.Service)
	s.handle("GET /api/v1/reports/trends", auth.ReportsTeam, s.apiTrends)
	s.handle("GET /api/v1/goals", auth.ReportsRead, s.listGoals) // scoped: own, teams or all (report.Service)
	s.handle("POST /api/v1/goals", auth.ReportsTeam, s.createGoal)
	s.handle("GET /api/v1/goals/{id}", auth.ReportsRead, s.getGoal)
	s.handle("PATCH /api/v1/goals/{id}", auth.ReportsTeam, s.updateGoal)
	s.handle("DELETE /api/v1/goals/{id}", auth.ReportsTeam, s.deleteGoal)
	s.handle("GET /api/v1/reports/digests", auth.ReportsTeam, s.listDigests) // scoped: all, or the teams one leads (digest.Service)
	s.handle("POST /api/v1/reports/digests", auth.ReportsTeam, s.createDigest)
	s.handle("GET /api/v1/reports/digests/{id}", auth.ReportsTeam, s.getDigest)
	s.handle("PATCH /api/v1/reports/digests/{id}", auth.ReportsTeam, s.updateDigest)
	s.handle("DELETE /api/v1/reports/digests/{id}", auth.ReportsTeam, s.deleteDigest)
	s.handle("GET /api/v1/reports/complaints", auth.ReportsTeam, s.apiComplaintNote)
	s.handle("PUT /api/v1/reports/complaints", auth.ReportsTeam, s.apiSetComplaintNote)

	s.handle("GET /api/v1/contacts", auth.ContactsRead, s.listContacts)
	s.handle("POST /api/v1/contacts", auth.ContactsWrite, s.createContact)
	s.handle("GET /api/v1/contacts/{id}", auth.ContactsRead, s.getContact)
	s.handle("PATCH /api/v1/contacts/{id}", auth.ContactsWrite, s.updateContact)
	s.handle("DELETE /api/v1/contacts/{id}", auth.ContactsWrite, s.deleteContact)

	s.handle("GET /api/v1/organizations", auth.OrganizationsRead, s.listOrganizations)
	s.handle("POST /api/v1/organizations", auth.OrganizationsWrite, s.createOrganization)
	s.handle("GET /api/v1/organizations/{id}", auth.OrganizationsRead, s.getOrganization)
	s.handle("PATCH /api/v1/organizations/{id}", auth.OrganizationsWrite, s.updateOrganization)
	s.handle("DELETE /api/v1/organizations/{id}", auth.OrganizationsWrite, s.deleteOrganization)
	s.handle("GET /api/v1/organizations/{id}/health", auth.OrganizationsRead, s.getHealthHistory)
	s.handle("GET /api/v1/organizations/{id}/timeline", auth.OrganizationsRead, s.getTimeline)
	s.handle("GET /api/v1/organizations/{id}/report", auth.OrganizationsRead, s.getAccountReport)
	s.handle("GET /api/v1/organizations/{id}/report/schedule", auth.OrganizationsRead, s.getReportSchedule)
	s.handle("PUT /api/v1/organizations/{id}/report/schedule", auth.OrganizationsWrite, s.putReportSchedule)
	s.handle("GET /api/v1/nps/campaigns", auth.NPSManage, s.listCampaigns)
	s.handle("POST /api/v1/nps/campaigns", auth.NPSManage, s.createCampaign)
	s.handle("GET /api/v1/nps/campaigns/{id}", auth.NPSManage, s.getCampaign)
	s.handle("POST /api/v1/nps/campaigns/{id}/send", auth.NPSManage, s.sendCampaign)
	s.handle("GET /api/v1/nps/campaigns/{id}/results", auth.NPSManage, s.campaignResults)
	s.handle("GET /api/v1/book", auth.OrganizationsRead, s.getBook)
	s.handle("GET /api/v1/checkins", auth.OrganizationsRead, s.listCheckins)
	s.handle("POST /api/v1/checkins", auth.OrganizationsWrite, s.createCheckin)
	s.handle("GET /api/v1/checkins/due", auth.OrganizationsRead, s.listDueCheckins)
	s.handle("GET /api/v1/checkins/{id}", auth.OrganizationsRead, s.getCheckin)
	s.handle("GET /api/v1/health-weights", auth.OrganizationsRead, s.getHealthWeights)
	s.handle("PUT /api/v1/health-weights", auth.AccountsManage, s.putHealthWeights)
	s.handle("GET /api/v1/feedback", auth.OrganizationsRead, s.listFeedback)
	s.handle("POST /api/v1/feedback", auth.OrganizationsWrite, s.createFeedback)
	s.handle("GET /api/v1/feedback/export.csv", auth.OrganizationsRead, s.exportFeedback)
	s.handle("GET /api/v1/feedback/{id}", auth.OrganizationsRead, s.getFeedback)
	s.handle("GET /api/v1/opportunities", auth.OrganizationsRead, s.listOpportunities)
	s.handle("POST /api/v1/opportunities", auth.OrganizationsWrite, s.createOpportunity)
	s.handle("GET /api/v1/opportunities/{id}", auth.OrganizationsRead, s.getOpportunity)
	s.handle("PATCH /api/v1/opportunities/{id}", auth.OrganizationsWrite, s.updateOpportunity)
	s.handle("GET /api/v1/opportunity-rules", auth.OrganizationsRead, s.listOpportunityRules)
	s.handle("POST /api/v1/opportunity-rules", auth.AccountsManage, s.createOpportunityRule)
	s.handle("GET /api/v1/opportunity-rules/{id}", auth.OrganizationsRead, s.getOpportunityRule)
	s.handle("PATCH /api/v1/opportunity-rules/{id}", auth.AccountsManage, s.updateOpportunityRule)
	s.handle("DELETE /api/v1/opportunity-rules/{id}", auth.AccountsManage, s.deleteOpportunityRule)
	s.handle("GET /api/v1/sales-contact", auth.OrganizationsRead, s.getSalesContact)
	s.handle("PUT /api/v1/sales-contact", auth.AccountsManage, s.putSalesContact)

	s.handle("GET /api/v1/agents", auth.AgentsRead, s.listAgents)
	s.handle("POST /api/v1/agents", auth.AgentsWrite, s.createAgent)
	s.handle("GET /api/v1/agents/{id}", auth.AgentsRead, s.getAgent)
	s.handle("PATCH /api/v1/agents/{id}", auth.AgentsWrite, s.updateAgent)
	s.handle("DELETE /api/v1/agents/{id}", auth.AgentsWrite, s.deactivateAgent)

	s.handle("GET /api/v1/teams", auth.TeamsRead, s.listTeams)
	s.handle("POST /api/v1/teams", auth.TeamsWrite, s.createTeam)
	s.handle("GET /api/v1/teams/{id}", auth.TeamsRead, s.getTeam)
	s.handle("PATCH /api/v1/teams/{id}", auth.TeamsWrite, s.updateTeam)
	s.handle("DELETE /api/v1/teams/{id}", auth.TeamsWrite, s.deleteTeam)

	s.handle("GET /api/v1/roles", auth.RolesRead, s.listRoles)
	s.handle("POST /api/v1/roles", auth.RolesWrite, s.createRole)
	s.handle("GET /api/v1/roles/{id}", auth.RolesRead, s.getRole)
	s.handle("PATCH /api/v1/roles/{id}", auth.RolesWrite, s.updateRole)
	s.handle("DELETE /api/v1/roles/{id}", auth.RolesWrite, s.deleteRole)

	s.handle("GET /api/v1/fields", auth.FieldsRead, s.listFields)
	s.handle("POST /api/v1/fields", auth.FieldsWrite, s.createField)
	s.handle("GET /api/v1/fields/{id}", auth.FieldsRead, s.getField)
	s.handle("PATCH /api/v1/fields/{id}", auth.FieldsWrite, s.updateField)
	s.handle("DELETE /api/v1/fields/{id}", auth.FieldsWrite, s.deleteField)

	s.handle("GET /api/v1/statuses", auth.TicketsRead, s.listStatuses)
	s.handle("POST /api/v1/statuses", auth.StatusesWrite, s.createStatus)
	s.handle("GET /api/v1/statuses/{name}", auth.TicketsRead, s.getStatus)

	s.handle("GET /api/v1/tags", auth.TagsRead, s.listTags)
	s.handle("POST /api/v1/tags", auth.TagsWrite, s.createTag)
	s.handle("GET /api/v1/tags/{name}", auth.TagsRead, s.getTag)
	s.handle("DELETE /api/v1/tags/{name}", auth.TagsWrite, s.deleteTag)

	s.handle("GET /api/v1/tokens", auth.TokensWrite, s.listTokens)
	s.handle("POST /api/v1/tokens", auth.TokensWrite, s.createToken)
	s.handle("GET /api/v1/tokens/{id}", auth.TokensWrite, s.getToken)
	s.handle("DELETE /api/v1/tokens/{id}", auth.TokensWrite, s.revokeToken)

	s.handle("GET /api/v1/business-hours", auth.SLARead, s.listCalendars)
	s.handle("POST /api/v1/business-hours", auth.SLAWrite, s.createCalendar)
	s.handle("GET /api/v1/business-hours/{id}", auth.SLARead, s.getCalendar)
	s.handle("PATCH /api/v1/business-hours/{id}", auth.SLAWrite, s.updateCalendar)
	s.handle("DELETE /api/v1/business-hours/{id}", auth.SLAWrite, s.deleteCalendar)
	s.handle("POST /api/v1/business-hours/{id}/holidays", auth.SLAWrite, s.importHolidays)
	s.handle("GET /api/v1/sla-policies", auth.SLARead, s.listPolicies)
	s.handle("POST /api/v1/sla-policies", auth.SLAWrite, s.createPolicy)
	s.handle("GET /api/v1/sla-policies/{id}", auth.SLARead, s.getPolicy)
	s.handle("PATCH /api/v1/sla-policies/{id}", auth.SLAWrite, s.updatePolicy)
	s.handle("DELETE /api/v1/sla-policies/{id}", auth.SLAWrite, s.deletePolicy)
	s.handle("GET /api/v1/escalation-rules", auth.SLARead, s.listRules)
	s.handle("POST /api/v1/escalation-rules", auth.SLAWrite, s.createRule)
	s.handle("GET /api/v1/escalation-rules/{id}", auth.SLARead, s.getRule)
	s.handle("PATCH /api/v1/escalation-rules/{id}", auth.SLAWrite, s.updateRule)
	s.handle("DELETE /api/v1/escalation-rules/{id}", auth.SLAWrite, s.deleteRule)
	s.handle("GET /api/v1/escalation-rules/{id}/runs", auth.SLARead, s.listRuleRuns)

	s.handle("GET /api/v1/webhooks", auth.WebhooksWrite, s.listWebhooks)
	s.handle("POST /api/v1/webhooks", auth.WebhooksWrite, s.createWebhook)
	s.handle("GET /api/v1/webhooks/{id}", auth.WebhooksWrite, s.getWebhook)
	s.handle("PATCH /api/v1/webhooks/{id}", auth.WebhooksWrite, s.updateWebhook)
	s.handle("DELETE /api/v1/webhooks/{id}", auth.WebhooksWrite, s.deleteWebhook)
	s.handle("GET /api/v1/webhooks/{id}/deliveries", auth.WebhooksWrite, s.listDeliveries)
	s.handle("POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", auth.WebhooksWrite, s.replayDelivery)
	s.handle("GET /api/v1/automations", auth.AutomationsWrite, s.listAutomations)
	s.handle("POST /api/v1/automations", auth.AutomationsWrite, s.createAutomation)
	s.handle("POST /api/v1/automations/dry-run", auth.AutomationsWrite, s.dryRunAutomation)
	s.handle("GET /api/v1/automations/{id}", auth.AutomationsWrite, s.getAutomation)
	s.handle("PATCH /api/v1/automations/{id}", auth.AutomationsWrite, s.updateAutomation)
	s.handle("DELETE /api/v1/automations/{id}", auth.AutomationsWrite, s.deleteAutomation)
	s.handle("POST /api/v1/automations/{id}/dry-run", auth.AutomationsWrite, s.dryRunSavedAutomation)
	s.handle("GET /api/v1/automations/{id}/runs", auth.AutomationsWrite, s.listAutomationRuns)
	// Saved views: personal ones need no more than reading tickets; the
	// service decides who may share one with a team.
	s.handle("GET /api/v1/views", auth.TicketsRead, s.listViews)
	s.handle("POST /api/v1/views", auth.TicketsRead, s.createView)
	s.handle("GET /api/v1/views/{id}", auth.TicketsRead, s.getView)
	s.handle("PATCH /api/v1/views/{id}", auth.TicketsRead, s.updateView)
	s.handle("DELETE /api/v1/views/{id}", auth.TicketsRead, s.deleteView)
	s.handle("GET /api/v1/macros", auth.TicketsRead, s.listMacros)
	s.handle("POST /api/v1/macros", auth.TicketsRead, s.createMacro)
	s.handle("GET /api/v1/macros/{id}", auth.TicketsRead, s.getMacro)
	s.handle("PATCH /api/v1/macros/{id}", auth.TicketsRead, s.updateMacro)
	s.handle("DELETE /api/v1/macros/{id}", auth.TicketsRead, s.deleteMacro)
	s.handle("POST /api/v1/macros/{id}/preview", auth.TicketsRead, s.previewMacro)
	s.handle("POST /api/v1/macros/{id}/apply", auth.TicketsUpdate, s.applyMacro)
	s.handle("GET /api/v1/teams/{id}/assignment", auth.TeamsRead, s.getTeamAssignment)
	s.handle("PATCH /api/v1/teams/{id}/assignment", auth.AssignmentWrite, s.updateTeamAssignment)
	s.handle("GET /api/v1/teams/{id}/presence", auth.SignedIn, s.listTeamPresence)
	s.handle("GET /api/v1/agents/{id}/routing", auth.AgentsRead, s.getAgentRouting)
	s.handle("PATCH /api/v1/agents/{id}/routing", auth.AssignmentWrite, s.updateAgentRouting)
	s.handle("PATCH /api/v1/presence", auth.SignedIn, s.setPresence)

	s.handle("GET /api/v1/scorecards", auth.QAReview, s.listScorecards)
	s.handle("POST /api/v1/scorecards", auth.QAReview, s.createScorecard)
	s.handle("GET /api/v1/scorecards/{id}", auth.QAReview, s.getScorecard)
	s.handle("PATCH /api/v1/scorecards/{id}", auth.QAReview, s.updateScorecard)
	s.handle("GET /api/v1/scorecards/{id}/revisions/{revision}", auth.QAReview, s.getScorecardRevision)
	s.handle("GET /api/v1/reviews", auth.TicketsRead, s.listReviews) // an agent without qa:review sees their own
	s.handle("POST /api/v1/reviews", auth.QAReview, s.createReview)
	s.handle("GET /api/v1/reviews/{id}", auth.TicketsRead, s.getReview)
	s.handle("POST /api/v1/reviews/{id}/acknowledge", auth.TicketsRead, s.acknowledgeReview) // the reviewed agent only
	s.handle("POST /api/v1/reviews/{id}/dispute", auth.TicketsRead, s.disputeReview)         // the reviewed agent only
	s.handle("POST /api/v1/reviews/{id}/resolve", auth.QAReview, s.resolveReview)
	s.handle("GET /api/v1/review-queue", auth.QAReview, s.listReviewQueue)
	s.handle("POST /api/v1/review-queue/build", auth.QAReview, s.buildReviewQueue)
	s.handle("GET /api/v1/review-queue/rules", auth.QAReview, s.getSamplingRules)
	s.handle("PATCH /api/v1/review-queue/rules", auth.QAReview, s.updateSamplingRules)
	s.handle("POST /api/v1/review-queue/{id}/claim", auth.QAReview, s.claimReviewQueueItem)
	s.handle("GET /api/v1/calibrations", auth.TicketsRead, s.listCalibrations) // its own for a reviewer without qa:review
	s.handle("POST /api/v1/calibrations", auth.QAReview, s.createCalibration)
	s.handle("GET /api/v1/calibrations/{id}", auth.TicketsRead, s.getCalibration)            // blind: others' answers once one's own is in
	s.handle("POST /api/v1/calibrations/{id}/scores", auth.TicketsRead, s.submitCalibration) // invited reviewers, once
	s.handle("POST /api/v1/calibrations/{id}/reveal", auth.QAReview, s.revealCalibration)
	s.handle("POST /api/v1/calibrations/{id}/agree", auth.QAReview, s.agreeCalibration)
	s.handle("GET /api/v1/qa/dashboard", auth.TicketsRead, s.qaDashboard)               // scoped: own, teams or all
	s.handle("GET /api/v1/coaching/sessions", auth.TicketsRead, s.listCoachingSessions) // the agent's own, or those one may coach
	s.handle("POST /api/v1/coaching/sessions", auth.CoachingWrite, s.createCoachingSession)
	s.handle("GET /api/v1/coaching/sessions/{id}", auth.TicketsRead, s.getCoachingSession) // the agent, their leads and supervisors
	s.handle("PATCH /api/v1/coaching/sessions/{id}", auth.CoachingWrite, s.updateCoachingSession)
	s.handle("POST /api/v1/coaching/sessions/{id}/actions", auth.CoachingWrite, s.addActionItem)
	s.handle("PATCH /api/v1/coaching/actions/{id}", auth.TicketsRead, s.updateActionItem) // the owner or a coach
	s.handle("GET /api/v1/teams/{id}/tasks", auth.TicketsRead, s.listTeamTasks)           // the team's members, leads, supervisors
	s.handle("POST /api/v1/teams/{id}/tasks", auth.TicketsRead, s.createTeamTask)         // the team's leads and supervisors
	s.handle("GET /api/v1/tasks/{id}", auth.TicketsRead, s.getTeamTask)
	s.handle("PATCH /api/v1/tasks/{id}", auth.TicketsRead, s.updateTeamTask) // leads, supervisors, the card's owner

	s.handle("GET /api/v1/courses", auth.TrainingManage, s.listCourses)
	s.handle("POST /api/v1/courses", auth.TrainingManage, s.createCourse)
	s.handle("GET /api/v1/courses/{id}", auth.TrainingManage, s.getCourse)
	s.handle("PATCH /api/v1/courses/{id}", auth.TrainingManage, s.updateCourse)
	s.handle("GET /api/v1/course-assignments", auth.SignedIn, s.listCourseAssignments) // an agent without training:manage sees their own
	s.handle("POST /api/v1/course-assignments", auth.TrainingManage, s.createCourseAssignments)
	s.handle("GET /api/v1/course-assignments/{id}", auth.SignedIn, s.getCourseAssignment)                  // its agent or training:manage
	s.handle("POST /api/v1/course-assignments/{id}/modules/{key}/read", auth.SignedIn, s.readCourseModule) // its agent only
	s.handle("POST /api/v1/course-assignments/{id}/modules/{key}/quiz", auth.SignedIn, s.submitCourseQuiz) // its agent only
	s.handle("GET /api/v1/course-suggestions", auth.SignedIn, s.listCourseSuggestions)                     // for oneself, or training:manage
	s.handle("GET /api/v1/performance-reviews", auth.SignedIn, s.listPerfReviews)                          // the agent, their leads, supervisors
	s.handle("POST /api/v1/performance-reviews", auth.CoachingWrite, s.createPerfReview)
	s.handle("GET /api/v1/performance-reviews/{id}", auth.SignedIn, s.getPerfReview)
	s.handle("PATCH /api/v1/performance-reviews/{id}", auth.SignedIn, s.updatePerfReview) // assessment: its lead; self-assessment: its agent
	s.handle("POST /api/v1/performance-reviews/{id}/share", auth.CoachingWrite, s.sharePerfReview)
	s.handle("POST /api/v1/performance-reviews/{id}/acknowledge", auth.SignedIn, s.acknowledgePerfReview) // its agent only

	// Knowledge base: any signed-in agent reads (internal articles too;
	// drafts with kb:write), kb:write changes. The public reads under /kb.
	s.handle("GET /api/v1/kb/categories", auth.SignedIn, s.listKBCategories)
	s.handle("POST /api/v1/kb/categories", auth.KBWrite, s.createKBCategory)
	s.handle("GET /api/v1/kb/categories/{id}", auth.SignedIn, s.getKBCategory)
	s.handle("PATCH /api/v1/kb/categories/{id}", auth.KBWrite, s.updateKBCategory)
	s.handle("GET /api/v1/kb/sections", auth.SignedIn, s.listKBSections)
	s.handle("POST /api/v1/kb/sections", auth.KBWrite, s.createKBSection)
	s.handle("GET /api/v1/kb/sections/{id}", auth.SignedIn, s.getKBSection)
	s.handle("PATCH /api/v1/kb/sections/{id}", auth.KBWrite, s.updateKBSection)
	s.handle("GET /api/v1/kb/articles", auth.SignedIn, s.listKBArticles)
	s.handle("POST /api/v1/kb/articles", auth.KBWrite, s.createKBArticle)
	s.handle("GET /api/v1/kb/articles/{id}", auth.SignedIn, s.getKBArticle)
	s.handle("PATCH /api/v1/kb/articles/{id}", auth.KBWrite, s.updateKBArticle)
	s.handle("POST /api/v1/kb/articles/{id}/publish", auth.KBWrite, s.publishKBArticle)
	s.handle("POST /api/v1/kb/articles/{id}/unpublish", auth.KBWrite, s.unpublishKBArticle)
	s.handle("DELETE /api/v1/kb/articles/{id}", auth.KBWrite, s.deleteKBArticle)
	s.handle("GET /api/v1/kb/articles/{id}/versions", auth.SignedIn, s.listKBVersions)
	s.handle("GET /api/v1/kb/articles/{id}/versions/{number}", auth.SignedIn, s.getKBVersion)
	s.handle("POST /api/v1/kb/articles/{id}/versions/{number}/restore", auth.KBWrite, s.restoreKBVersion)
	s.handle("POST /api/v1/kb/images", auth.KBWrite, s.uploadKBImage)
	s.handle("GET /api/v1/kb/deflections", auth.KBWrite, s.kbDeflections)

	s.handle("GET /api/v1/mailboxes", auth.MailboxesRead, s.listMailboxes)
	s.handle("POST /api/v1/mailboxes", auth.MailboxesWrite, s.createMailbox)
	s.handle("GET /api/v1/mailboxes/{id}", auth.MailboxesRead, s.getMailbox)
	s.handle("PATCH /api/v1/mailboxes/{id}", auth.MailboxesWrite, s.updateMailbox)
	s.handle("DELETE /api/v1/mailboxes/{id}", auth.MailboxesWrite, s.deleteMailbox)
	s.handle("GET /api/v1/outbox", auth.MailboxesRead, s.listOutbox)
	s.handle("GET /api/v1/outbox/{id}", auth.MailboxesRead, s.getOutboxMail)
	s.handle("POST /api/v1/mailboxes/{id}/smtp/test", auth.MailboxesWrite, s.testMailboxSMTP)
	s.handle("GET /api/v1/mailboxes/{id}/imap/status", auth.MailboxesRead, s.mailboxIMAPStatus)
	s.handle("GET /api/v1/mailboxes/{id}/dkim", auth.MailboxesRead, s.getMailboxDKIM)
	s.handle("PUT /api/v1/mailboxes/{id}/dkim", auth.MailboxesWrite, s.putMailboxDKIM)
	s.handle("DELETE /api/v1/mailboxes/{id}/dkim", auth.MailboxesWrite, s.deleteMailboxDKIM)
	s.handle("POST /api/v1/mailboxes/{id}/inbound", auth.MailboxesWrite, s.inboundMail)

	// The audit log is read-only: no route changes or removes an entry.
	s.handle("GET /api/v1/audit", auth.AuditRead, s.listAudit)
	s.handle("GET /api/v1/search", auth.TicketsRead, s.apiSearch)

	s.handle("GET /api/v1/notifications", auth.SignedIn, s.listNotifications)
	s.handle("POST /api/v1/notifications/read", auth.SignedIn, s.readNotifications)

	// Live updates (Server-Sent Events) and "who is replying" presence.
	s.handle("GET /events", auth.TicketsRead, s.eventStream)
	s.handle("POST /tickets/{id}/replying", auth.TicketsRead, s.replying)

	// Agent web app.
	s.pageRoutes()
}

// opsRouteTable is what the operations address serves (--ops-addr, kept off
// the public one): metrics, and health for whoever watches from there.
func (s *Server) opsRouteTable() {
	for pattern, fn := range map[string]handlerFunc{"GET /metrics": s.metricsHandler, "GET /healthz": s.healthz, "GET /readyz": s.readyz} {
		method, path, _ := strings.Cut(pattern, " ")
		s.ops.Handle(pattern, s.authorize(Route{Method: method, Path: path, Permission: auth.Public}, fn))
	}
	// Profiles, for whoever may reach the operations address: where a node
	// spends its CPU under real load is the first question of any slowdown.
	s.ops.HandleFunc("GET /debug/pprof/", pprof.Index)
	s.ops.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	s.ops.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	s.ops.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
}
