"""What each CarePlan and CareCase column means, from VBA's documentation (``spec/vba.md``), keyed by VBA's column
name. The admin shows it as the field's help text, followed by the column name. VBA documents no CarePlan column:
those texts are the project's."""

CARE_CASE_COLUMNS = {
    "Case_Key": "Identifier of the case (VBA's key).",
    "Appointment_Date": "User Managed field: Date of next Appointment.",
    "Assessment_Date": "User managed field: Date when the case was assessed.",
    "CarePlan_Key": "Identifies the type care associated with the case.",
    "Case_Assign_Type": "Who or what Entity the Case was assigned to.",
    "Case_End_Date": "Day when the case ended.",
    "Case_ID": "Identifier of the case, as staff quote it.",
    "Case_Priority": "Identifies the priority of the case.",
    "Case_Reason": "Identifies the reason of the case.",
    "Case_Score": "User Managed field used when Auto Assigning cases.",
    "Case_Start_Date": "Day when the case began.",
    "Case_Status": "Identifies the status of the case.",
    "Division_ID": "ID of the Division associated with the case.",
    "Do_Not_Contact": "User Managed field for whether or not to contact member.",
    "Eligibility_Verified": "User Managed field: Date eligibility verified.",
    "Eligibility_Verified_Comment": "User Managed field: Comment about Eligibility verification.",
    "Case_Close_Reason": "The identifier of the case close reason.",
    "Entry_Date": "Date record was first added to the system.",
    "Entry_User": "User that first added the record to the system.",
    "Group_ID": "ID of the Group associated with the case.",
    "Member_Seq": "Sequential identifier of the Member associated with the case.",
    "Provider_ID": "ID of the Provider associated with the case.",
    "Subscriber_ID": "ID of the Subscriber associated with the case.",
    "Update_Date": "Date the record was last updated in the system.",
    "Update_User": "User that last updated the record in the system.",
}

CARE_PLAN_COLUMNS = {
    "CarePlan_Key": "Identifier of the care plan (VBA's key); cases name their plan by it.",
    "Care_Type": "The kind of care the plan manages, e.g. DIABETES.",
    "Care_Weight": "Relative weight of the plan, used when cases are assigned.",
    "Description": "What the plan is, as staff read it.",
    "Entry_Date": "Date when the record was first added to the system.",
    "Entry_User": "User that first added the record to the system.",
    "Update_Date": "Date when the record was last updated in the system.",
    "Update_User": "User that last updated the record in the system.",
}
