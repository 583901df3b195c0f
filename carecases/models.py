"""VBA's ``CarePlan`` and ``CareCase`` tables, column for column.

Attribute names are snake_case; ``db_column`` is VBA's column; the JSON name is the column put through .NET's
camel-casing (:func:`config.records.specs.vba_json_name`): ``CarePlan_Key`` → ``carePlan_Key``, ``Case_ID`` →
``case_ID``. A case belongs to one plan (``CarePlan_Key``); a plan that still has cases cannot be deleted.
"""

from django.db import models

from config.records.fields import MoneyField, VBAHistoricalRecords


class CarePlan(models.Model):
    care_plan_key = models.IntegerField(primary_key=True, db_column="CarePlan_Key")
    care_type = models.CharField(max_length=32, null=True, blank=True, db_column="Care_Type", db_index=True)
    care_weight = MoneyField(null=True, blank=True, db_column="Care_Weight")
    description = models.CharField(max_length=512, null=True, blank=True, db_column="Description")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords()

    class Meta:
        db_table = "CarePlan"
        ordering = ["care_plan_key"]
        verbose_name = "care plan"

    def __str__(self) -> str:
        label = self.description or self.care_type
        return f"Care plan {self.care_plan_key}" + (f": {label[:60]}" if label else "")


class CareCase(models.Model):
    case_key = models.IntegerField(primary_key=True, db_column="Case_Key")
    appointment_date = models.DateTimeField(null=True, blank=True, db_column="Appointment_Date")
    assessment_date = models.DateTimeField(null=True, blank=True, db_column="Assessment_Date")
    care_plan = models.ForeignKey(
        CarePlan,
        on_delete=models.PROTECT,
        related_name="cases",
        db_column="CarePlan_Key",
        db_index=False,  # covered by the (CarePlan_Key, Case_Key) index
        verbose_name="care plan",
    )
    case_assign_type = models.CharField(max_length=16, null=True, blank=True, db_column="Case_Assign_Type")
    case_end_date = models.DateTimeField(null=True, blank=True, db_column="Case_End_Date", db_index=True)
    case_id = models.CharField(max_length=64, null=True, blank=True, db_column="Case_ID", db_index=True)
    case_priority = models.IntegerField(null=True, blank=True, db_column="Case_Priority", db_index=True)
    case_reason = models.CharField(max_length=32, null=True, blank=True, db_column="Case_Reason", db_index=True)
    case_score = MoneyField(null=True, blank=True, db_column="Case_Score")
    case_start_date = models.DateTimeField(null=True, blank=True, db_column="Case_Start_Date", db_index=True)
    case_status = models.CharField(max_length=8, null=True, blank=True, db_column="Case_Status", db_index=True)
    division_id = models.CharField(max_length=20, null=True, blank=True, db_column="Division_ID")
    do_not_contact = models.BooleanField(default=False, db_default=False, db_column="Do_Not_Contact")
    eligibility_verified = models.DateTimeField(null=True, blank=True, db_column="Eligibility_Verified")
    eligibility_verified_comment = models.CharField(
        max_length=512, null=True, blank=True, db_column="Eligibility_Verified_Comment"
    )
    case_close_reason = models.CharField(max_length=32, null=True, blank=True, db_column="Case_Close_Reason")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    group_id = models.CharField(max_length=20, null=True, blank=True, db_column="Group_ID")
    member_seq = models.CharField(max_length=2, null=True, blank=True, db_column="Member_Seq")
    provider_id = models.CharField(max_length=20, null=True, blank=True, db_column="Provider_ID", db_index=True)
    subscriber_id = models.CharField(
        max_length=9,
        null=True,
        blank=True,
        db_column="Subscriber_ID",
        db_index=True,  # searched by prefix
    )
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords()

    class Meta:
        db_table = "CareCase"
        ordering = ["case_key"]
        verbose_name = "care case"
        indexes = [
            models.Index(fields=["subscriber_id", "member_seq"], name="carecase_subscriber_member"),
            models.Index(fields=["care_plan", "case_key"], name="carecase_plan_case"),
        ]

    def __str__(self) -> str:
        return f"Care case {self.case_key}" + (f" ({self.case_id})" if self.case_id else "")


class CareCaseWorkLog(models.Model):
    """VBA's ``CareCaseWorkLog`` table: one piece of work done on a care case (a call, a visit, an assessment), with
    the time it took. ``CareCaseWorkLog_Key`` is an int32 the server assigns when 0 or omitted; ``Case_Key`` names
    the case (a case that still has work logs cannot be deleted: decision 15). ``WorkLog_User``/``WorkLog_Date``
    are data, not audit (decision 17): kept as sent, the caller and now when null."""

    care_case_work_log_key = models.IntegerField(primary_key=True, db_column="CareCaseWorkLog_Key")
    care_case = models.ForeignKey(
        CareCase,
        on_delete=models.PROTECT,
        related_name="work_logs",
        db_column="Case_Key",
        db_index=False,  # covered by the (Case_Key, WorkLog_Date) index
        verbose_name="care case",
    )
    member_impact_score = MoneyField(null=True, blank=True, db_column="Member_Impact_Score")
    plan_impact_score = MoneyField(null=True, blank=True, db_column="Plan_Impact_Score")
    work_log_billable = models.BooleanField(
        default=False, db_default=False, db_column="WorkLog_Billable", verbose_name="billable"
    )
    work_log_comment = models.TextField(null=True, blank=True, db_column="WorkLog_Comment", verbose_name="comment")
    work_log_date = models.DateTimeField(null=True, blank=True, db_column="WorkLog_Date", verbose_name="date")
    work_log_hour = models.IntegerField(null=True, blank=True, db_column="WorkLog_Hour", verbose_name="hours")
    work_log_minute = models.IntegerField(null=True, blank=True, db_column="WorkLog_Minute", verbose_name="minutes")
    work_log_secondary_type = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_SecondaryType", verbose_name="secondary type"
    )
    work_log_secondary_type2 = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_SecondaryType2", verbose_name="secondary type 2"
    )
    work_log_secondary_type3 = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_SecondaryType3", verbose_name="secondary type 3"
    )
    work_log_secondary_type4 = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_SecondaryType4", verbose_name="secondary type 4"
    )
    work_log_secondary_type5 = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_SecondaryType5", verbose_name="secondary type 5"
    )
    work_log_type = models.CharField(
        max_length=32, null=True, blank=True, db_column="WorkLog_Type", verbose_name="type", db_index=True
    )
    work_log_units = models.IntegerField(null=True, blank=True, db_column="WorkLog_Units", verbose_name="units")
    work_log_user = models.CharField(
        max_length=20, null=True, blank=True, db_column="WorkLog_User", verbose_name="user"
    )
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords(parent_key="care_case")

    class Meta:
        db_table = "CareCaseWorkLog"
        ordering = ["care_case_work_log_key"]
        verbose_name = "work log entry"
        verbose_name_plural = "work log entries"
        indexes = [
            models.Index(fields=["care_case", "work_log_date"], name="careworklog_case_date"),
            # the case list sorted by last contact reads the newest entries first (carecases.work_log_admin)
            models.Index(fields=["work_log_date"], name="careworklog_date"),
        ]

    def __str__(self) -> str:
        return f"Work log entry {self.care_case_work_log_key} of care case {self.care_case_id}"
